// Serves one FlotillaNode over HTTP: the adapter, the member directory and
// the peer announcements between members, in one call.
import { backupStream } from '@flotilla/backup';
import type { FlotillaNode } from '@flotilla/node';
import type { Logger } from 'pino';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../http/server.js';
import type { DirectoryEntry, MemberDirectory } from './directory.js';
import { servedNode } from './node-adapter.js';

export interface ServeNodeOptions {
  readonly node: FlotillaNode;
  readonly directory: MemberDirectory;
  readonly host?: string;
  /** 0 (default): a free port. */
  readonly port?: number;
  readonly logger?: Logger;
  readonly dbSizeBytes?: () => number;
  readonly bodyBytesMax?: number;
  /** Names of the founding voters (for /flotilla/status). */
  readonly founders?: readonly string[];
  /** Timeout for telling other members about a new peer. Default 3,000. */
  readonly announceTimeoutMs?: number;
  /** More text for /metrics (e.g. a backup scheduler's). */
  readonly extraMetricsText?: HttpServerOptions['extraMetricsText'];
  /** More fields for /flotilla/status. */
  readonly extraStatus?: HttpServerOptions['extraStatus'];
  /** Lifetime of auth tokens issued by this member (default 300,000 ms, etcd's --auth-token-ttl). */
  readonly authTokenTtlMs?: number;
}

async function announcePeer(clientUrl: string, entry: DirectoryEntry, timeoutMs: number, authorization: string | undefined): Promise<void> {
  const res = await fetch(`${clientUrl}/flotilla/peer/add`, {
    method: 'POST',
    // With auth on, the other members require root: the token of the caller of member add (valid on every member).
    ...(authorization ? { headers: { authorization } } : {}),
    body: JSON.stringify({ ID: String(entry.id), name: entry.name, peerURLs: entry.peerUrls, clientURLs: entry.clientUrls }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
}

export function serveNode(options: ServeNodeOptions): Promise<RunningHttpServer> {
  const timeoutMs = options.announceTimeoutMs ?? 3_000;
  const node = servedNode(options.node, {
    directory: options.directory,
    ...(options.dbSizeBytes ? { dbSizeBytes: options.dbSizeBytes } : {}),
    announcePeer: (url, entry, authorization) => announcePeer(url, entry, timeoutMs, authorization),
  });
  return startHttpServer({
    node,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.bodyBytesMax !== undefined ? { bodyBytesMax: options.bodyBytesMax } : {}),
    ...(options.founders ? { founders: options.founders } : {}),
    // POST /v3/maintenance/snapshot: a consistent backup stream of this node.
    backup: () => backupStream(options.node).readable(),
    ...(options.extraMetricsText ? { extraMetricsText: options.extraMetricsText } : {}),
    ...(options.extraStatus ? { extraStatus: options.extraStatus } : {}),
    ...(options.authTokenTtlMs !== undefined ? { authTokenTtlMs: options.authTokenTtlMs } : {}),
  });
}
