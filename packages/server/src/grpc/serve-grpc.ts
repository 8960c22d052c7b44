// Serves one FlotillaNode over etcd's gRPC API: the same adapter and member
// directory as its HTTP server (so a member added over gRPC is announced to
// the other members too), and snapshots from a backup stream of the node.
import { backupStream } from '@flotilla/backup';
import type { FlotillaNode } from '@flotilla/node';
import type { Logger } from 'pino';
import { UsageError } from '../cli/errors.js';
import type { MemberDirectory } from '../cluster/directory.js';
import { announcingServedNode } from '../cluster/serve.js';
import { startGrpcServer, type RunningGrpcServer } from './server.js';

export interface ServeNodeGrpcOptions {
  readonly node: FlotillaNode;
  readonly directory: MemberDirectory;
  readonly host?: string;
  /** 0 (default): a free port. */
  readonly port?: number;
  readonly logger?: Logger;
  readonly dbSizeBytes?: () => number;
  readonly messageBytesMax?: number;
}

export function serveNodeGrpc(options: ServeNodeGrpcOptions): Promise<RunningGrpcServer> {
  return startGrpcServer({
    node: announcingServedNode(options),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.messageBytesMax !== undefined ? { messageBytesMax: options.messageBytesMax } : {}),
    backup: () => backupStream(options.node).readable(),
  });
}

/**
 * The `--listen-client-grpc URL` of `flotilla start` (e.g. http://127.0.0.1:2479):
 * a host and a port, like etcd's --listen-client-urls.
 */
export function parseGrpcListenUrl(text: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--listen-client-grpc must be a URL like http://127.0.0.1:2479, got ${JSON.stringify(text)}`,
    );
  }
  if (url.protocol !== 'http:' || url.port === '' || url.pathname !== '/') {
    throw new UsageError(
      `--listen-client-grpc must be http://HOST:PORT (no TLS yet, no path), got ${JSON.stringify(text)}`,
    );
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}

/**
 * `flotilla start`'s hook: serves gRPC when `--listen-client-grpc` (or
 * FLOTILLA_LISTEN_CLIENT_GRPC) is given, else nothing.
 */
export async function startMemberGrpc(
  listen: unknown,
  o: Omit<ServeNodeGrpcOptions, 'host' | 'port'>,
): Promise<RunningGrpcServer | undefined> {
  if (typeof listen !== 'string' || listen === '') return undefined;
  const server = await serveNodeGrpc({
    ...o,
    ...parseGrpcListenUrl(listen),
    ...(o.logger ? { logger: o.logger.child({ component: 'grpc' }) } : {}),
  });
  o.logger?.info({ grpc: server.endpoint }, "serving etcd's v3 gRPC API");
  return server;
}
