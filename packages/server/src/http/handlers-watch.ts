// POST /v3/watch: etcd's gateway streams a bidirectional RPC as one POST
// whose body is `{"create_request": {...}}` and whose response is a stream of
// newline-delimited `{"result": WatchResponse}` objects. One watch per stream
// (watch_id 0, omitted), as a plain HTTP client uses it. Responses are
// written as they come, and what the client has not read yet is bounded in
// bytes: past watchStreamBufferBytesMax the watch is cancelled as slow (a
// last `canceled` line says where to resume) instead of buffering without end.
import type { ServerResponse } from 'node:http';
import type { WatchFilter, WatchRequest, WatchResponse } from '@flotilla/kv';
import { encodeEvent, i64, type Json } from '../codec/encode-kv.js';
import { EtcdMessage, GatewayError } from '../codec/gateway-error.js';
import {
  readArray,
  readBool,
  readBytes,
  readInt64,
  readObject,
  type JsonObject,
} from '../codec/json-reader.js';
import type { HandlerContext } from './context.js';
import { requirePermission } from '../auth/gate.js';
import { slowWatcherReason, type TurnPacer } from './limits.js';
import type { WatchStream } from './served-node.js';

const FILTERS: readonly WatchFilter[] = ['NOPUT', 'NODELETE'];

export function decodeWatchCreate(body: JsonObject): WatchRequest {
  const create = readObject(body, 'create_request', 'watch');
  if (!create) {
    throw GatewayError.invalidArgument(
      'watch body must be {"create_request": {...}}; cancel a watch by closing its stream',
    );
  }
  const path = 'watch.create_request';
  const key = readBytes(create, 'key', path);
  if (!key || key.length === 0) throw GatewayError.invalidArgument(EtcdMessage.keyNotProvided);
  const filters = (readArray(create, 'filters', path) ?? []).map((f, i) => {
    const name = typeof f === 'number' ? FILTERS[f] : FILTERS.find((x) => x === f);
    if (!name)
      throw GatewayError.invalidArgument(
        `${path}.filters[${i}] must be NOPUT or NODELETE, got ${JSON.stringify(f)}`,
      );
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

/** A cancelled slow watch gets this long to take its last lines before its connection is cut. */
export const SLOW_WATCH_CLOSE_GRACE_MS = 5_000;

export interface WatchStreamLimits {
  /** Bytes written but not yet taken by the client; beyond, the watch is cancelled as slow. */
  readonly bufferBytesMax: number;
  /** Called once when a watch is cancelled as slow (for the refusal counter). */
  readonly onSlow?: () => void;
  /** Spreads the writes of all streams over event-loop turns (shared by the server's streams). */
  readonly pacer?: TurnPacer;
}

/** Writes one line; false when the socket is past its high-water mark. */
function writeLine(res: ServerResponse, json: Json): boolean {
  return res.write(`${JSON.stringify(json)}\n`);
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
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

/** The revision a slow watch resumes from: the first one of the response it could not send. */
function resumeRevision(r: WatchResponse): number {
  return r.events[0]?.kv.modRevision ?? r.revision + 1;
}

function cancelSlow(
  ctx: HandlerContext,
  res: ServerResponse,
  response: WatchResponse,
  limits: WatchStreamLimits,
): void {
  const reason = slowWatcherReason(
    res.writableLength,
    limits.bufferBytesMax,
    resumeRevision(response),
  );
  writeLine(res, { result: { header: ctx.header(), canceled: true, cancel_reason: reason } });
  limits.onSlow?.();
  res.end();
  const cut = setTimeout(() => res.destroy(), SLOW_WATCH_CLOSE_GRACE_MS);
  cut.unref();
  res.once('close', () => clearTimeout(cut));
}

/**
 * Streams one watch until the watcher ends, is cancelled, or the client goes
 * away. Resolves when the stream is finished; never rejects after headers are sent.
 */
export async function streamWatch(
  ctx: HandlerContext,
  res: ServerResponse,
  register: (stream: WatchStream) => () => void,
  limits: WatchStreamLimits,
): Promise<void> {
  const req = decodeWatchCreate(ctx.body);
  // With auth on, catch up first (a revocation or grant made through another member is seen); a member
  // without a reachable leader decides on what it has applied. With auth off no round is paid.
  if (ctx.node.auth().enabled)
    await Promise.resolve()
      .then(() => ctx.node.syncAuth())
      .catch(() => undefined);
  requirePermission(ctx.node.auth(), ctx.callerNow(), 'READ', req.key, req.rangeEnd);
  const watcher = ctx.node.watch(req);
  const unregister = register(watcher);
  res.on('close', () => watcher.cancel());
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  try {
    writeLine(res, { result: { header: ctx.header(ctx.node.status().revision), created: true } });
    for await (const response of watcher) {
      const wait = limits.pacer?.turn();
      if (wait) await wait;
      if (res.destroyed) break;
      if (res.writableLength > limits.bufferBytesMax) {
        watcher.cancel();
        cancelSlow(ctx, res, response, limits);
        break;
      }
      // etcd's cancel response carries no revision in its header.
      const ok = writeLine(
        res,
        encodeWatchResponse(
          response,
          ctx.header(response.canceled ? undefined : response.revision),
        ),
      );
      if (response.canceled) break;
      // History replay waits for the client (it is paced by its reader); live events are
      // taken at once, so what a slow client leaves unread is counted here, in bytes.
      if (!ok && watcher.state === 'catchingUp') await drainedOrClosed(res);
    }
  } finally {
    watcher.cancel();
    unregister();
    if (!res.destroyed && !res.writableEnded) res.end();
  }
}
