// Serves one FlotillaNode over HTTP: the adapter, the member directory and
// the peer announcements between members, in one call.
import { backupStream } from '@flotilla/backup';
import type { FlotillaNode } from '@flotilla/node';
import type { Logger } from 'pino';
import https from 'node:https';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../http/server.js';
import type { ServedNode } from '../http/served-node.js';
import { loadClientTls, type ClientTls } from '../http/tls.js';
import type { DirectoryEntry, MemberDirectory } from './directory.js';
import { followMemberTable, publishSelf } from './member-table.js';
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
  /** Overload limits of the HTTP server (see http/limits.ts); defaults for those not given. */
  readonly limits?: HttpServerOptions['limits'];
  /** Names of the founding voters (for /flotilla/status). */
  readonly founders?: readonly string[];
  /** Timeout for telling other members about a new peer. Default 3,000. */
  readonly announceTimeoutMs?: number;
  /** More text for /metrics (e.g. a backup scheduler's). */
  readonly extraMetricsText?: HttpServerOptions['extraMetricsText'];
  /** More fields for /flotilla/status. */
  readonly extraStatus?: HttpServerOptions['extraStatus'];
  /** HTTPS on the client port (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth). */
  readonly tls?: HttpServerOptions['tls'];
  /** Lifetime of auth tokens issued by this member (default 300,000 ms, etcd's --auth-token-ttl). */
  readonly authTokenTtlMs?: number;
}

/** `authorization`: with auth on, the other members require root: the token of the caller of member add (valid on every member). */
async function announcePeer(
  clientUrl: string,
  entry: DirectoryEntry,
  timeoutMs: number,
  tls: ClientTls | undefined,
  authorization: string | undefined,
): Promise<void> {
  const body = JSON.stringify({
    ID: String(entry.id),
    name: entry.name,
    peerURLs: entry.peerUrls,
    clientURLs: entry.clientUrls,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(authorization ? { authorization } : {}),
  };
  if (tls !== undefined && clientUrl.startsWith('https:'))
    return announceOverHttps(`${clientUrl}/flotilla/peer/add`, body, headers, timeoutMs, tls);
  const res = await fetch(`${clientUrl}/flotilla/peer/add`, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
}

/**
 * With TLS on the client port, members announce to each other over HTTPS:
 * they trust the client port's CA and show their own server certificate as a
 * client certificate (it must allow client auth, as tools/gen-certs.js makes them).
 */
function announceOverHttps(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  tls: ClientTls,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        cert: tls.cert,
        key: tls.key,
        ...(tls.ca ? { ca: tls.ca } : {}),
        timeout: timeoutMs,
        headers,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The ServedNode of a FlotillaNode with peer announcements (over HTTPS with `tls`), shared by the HTTP and gRPC servers. */
export function announcingServedNode(
  options: Pick<
    ServeNodeOptions,
    'node' | 'directory' | 'dbSizeBytes' | 'announceTimeoutMs' | 'tls'
  >,
): ServedNode {
  const timeoutMs = options.announceTimeoutMs ?? 3_000;
  const tls = options.tls === undefined ? undefined : loadClientTls(options.tls);
  return servedNode(options.node, {
    directory: options.directory,
    ...(options.dbSizeBytes ? { dbSizeBytes: options.dbSizeBytes } : {}),
    announcePeer: (url, entry, authorization) =>
      announcePeer(url, entry, timeoutMs, tls, authorization),
  });
}

export async function serveNode(options: ServeNodeOptions): Promise<RunningHttpServer> {
  const node = announcingServedNode(options);
  const server = await startHttpServer({
    node,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.bodyBytesMax !== undefined ? { bodyBytesMax: options.bodyBytesMax } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.founders ? { founders: options.founders } : {}),
    // POST /v3/maintenance/snapshot: a consistent backup stream of this node.
    backup: () => backupStream(options.node).readable(),
    ...(options.extraMetricsText ? { extraMetricsText: options.extraMetricsText } : {}),
    ...(options.extraStatus ? { extraStatus: options.extraStatus } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.authTokenTtlMs !== undefined ? { authTokenTtlMs: options.authTokenTtlMs } : {}),
  });
  // The replicated member table: dial members where it says, and record this member's own entry there.
  const unfollow = followMemberTable(options.node, options.directory);
  const self = options.directory.get(options.node.id);
  if (self !== undefined) void publishSelf(options.node, self);
  return {
    ...server,
    close: async () => {
      unfollow();
      await server.close();
    },
  };
}
