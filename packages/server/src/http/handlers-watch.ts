// POST /v3/watch: etcd's gateway streams a bidirectional RPC as one POST
// whose body is `{"create_request": {...}}` and whose response is a stream of
// newline-delimited `{"result": WatchResponse}` objects. One watch per stream
// (watch_id 0, omitted), as a plain HTTP client uses it.
import type { ServerResponse } from 'node:http';
import type { WatchFilter, WatchRequest, WatchResponse } from '@flotilla/kv';
import { encodeEvent, i64, type Json } from '../codec/encode-kv.js';
import { EtcdMessage, GatewayError } from '../codec/gateway-error.js';
import { readArray, readBool, readBytes, readInt64, readObject, type JsonObject } from '../codec/json-reader.js';
import type { HandlerContext } from './context.js';
import { requirePermission } from '../auth/gate.js';
import type { WatchStream } from './served-node.js';

const FILTERS: readonly WatchFilter[] = ['NOPUT', 'NODELETE'];

export function decodeWatchCreate(body: JsonObject): WatchRequest {
  const create = readObject(body, 'create_request', 'watch');
  if (!create) {
    throw GatewayError.invalidArgument('watch body must be {"create_request": {...}}; cancel a watch by closing its stream');
  }
  const path = 'watch.create_request';
  const key = readBytes(create, 'key', path);
  if (!key || key.length === 0) throw GatewayError.invalidArgument(EtcdMessage.keyNotProvided);
  const filters = (readArray(create, 'filters', path) ?? []).map((f, i) => {
    const name = typeof f === 'number' ? FILTERS[f] : FILTERS.find((x) => x === f);
    if (!name) throw GatewayError.invalidArgument(`${path}.filters[${i}] must be NOPUT or NODELETE, got ${JSON.stringify(f)}`);
    return name;
  });
  const req: WatchRequest = { key };
  const rangeEnd = readBytes(create, 'range_end', path);
  if (rangeEnd && rangeEnd.length > 0) req.rangeEnd = rangeEnd;
  const startRevision = readInt64(create, 'start_revision', path);
  if (startRevision) req.startRevision = startRevision;
  if (readBool(create, 'prev_kv', path)) req.prevKv = true;
  if (readBool(create, 'progress_notify', path)) req.progressNotify = true;
  if (filters.length > 0) req.filters = filters;
  return req;
}

export function encodeWatchResponse(r: WatchResponse, header: Json): Json {
  return {
    result: {
      header,
      canceled: r.canceled || undefined,
      compact_revision: i64(r.compactRevision),
      // etcd 3.4 gives no reason when compaction cancels a watch (compact_revision says it all).
      cancel_reason: r.compactRevision ? undefined : r.cancelReason || undefined,
      events: r.events.length > 0 ? r.events.map(encodeEvent) : undefined,
    },
  };
}

function writeLine(res: ServerResponse, json: Json): Promise<void> {
  const ok = res.write(`${JSON.stringify(json)}\n`);
  if (ok) return Promise.resolve();
  // Wait for the socket to drain; the watcher's own bounded buffer cancels a consumer that never catches up.
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Streams one watch until the watcher ends, is cancelled, or the client goes
 * away. Resolves when the stream is finished; never rejects after headers are sent.
 */
export async function streamWatch(ctx: HandlerContext, res: ServerResponse, register: (stream: WatchStream) => () => void): Promise<void> {
  const req = decodeWatchCreate(ctx.body);
  // With auth on, catch up first (a revocation or grant made through another member is seen); a member
  // without a reachable leader decides on what it has applied. With auth off no round is paid.
  if (ctx.node.auth().enabled) await Promise.resolve().then(() => ctx.node.syncAuth()).catch(() => undefined);
  requirePermission(ctx.node.auth(), ctx.callerNow(), 'READ', req.key, req.rangeEnd);
  const watcher = ctx.node.watch(req);
  const unregister = register(watcher);
  res.on('close', () => watcher.cancel());
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  try {
    await writeLine(res, { result: { header: ctx.header(ctx.node.status().revision), created: true } });
    for await (const response of watcher) {
      if (res.destroyed) break;
      // etcd's cancel response carries no revision in its header.
      await writeLine(res, encodeWatchResponse(response, ctx.header(response.canceled ? undefined : response.revision)));
      if (response.canceled) break;
    }
  } finally {
    watcher.cancel();
    unregister();
    if (!res.destroyed) res.end();
  }
}
