// etcd's Watch RPC: one bidirectional stream carrying many watchers.
//
// etcd 3.4's semantics, which clients rely on:
// - create: watch_id 0 asks for one (the stream's next id, counting up from
//   0 and skipping ids in use; a cancelled id is not handed out again); a client-chosen id already in use, or a key range
//   that is empty, is answered `created` + `canceled` with etcd's reason and
//   watch_id -1. The `created` response comes before any event of the watcher.
//   An empty key means "\0"; range_end "\0" means every key ≥ key.
// - cancel: answered `canceled` for a live watcher; unknown ids get no answer.
// - progress request: one response with watch_id -1 and the current revision.
// - fragment: a response larger than fragmentBytesMax is split between
//   events; every part but the last has `fragment: true`.
// A watcher cancelled by the store (compaction, a slow consumer) gets one
// `canceled` response with compact_revision or cancel_reason.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Event, WatchFilter, WatchRequest, WatchResponse } from '@flotilla/kv';
import { encodeEvent, i64, type Json } from '../codec/encode-kv.js';
import {
  readArray,
  readBool,
  readBytes,
  readInt64,
  readObject,
  type JsonObject,
} from '../codec/json-reader.js';
import { makeHeader } from '../http/context.js';
import type { ServedNode, WatchStream } from '../http/served-node.js';
import { toGrpcStatus } from './status.js';
import { StreamWriter } from './stream-writer.js';

/** etcd's texts for a watcher it refuses at creation. */
export const WatchCancelText = {
  duplicateId: 'mvcc: duplicate watch ID provided on the WatchStream',
  emptyRange: 'mvcc: watcher range is empty',
} as const;

export interface WatchServiceOptions {
  readonly node: ServedNode;
  /** Counts watchers server-wide; returns false when no more may open. */
  readonly admit: () => boolean;
  readonly release: () => void;
  readonly fragmentBytesMax: number;
  readonly onError: (method: string, err: unknown) => void;
}

type WatchCall = ServerDuplexStream<JsonObject, Json>;

const FILTERS: readonly WatchFilter[] = ['NOPUT', 'NODELETE'];
const PATH = 'watch.create_request';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** What a create request asks for, in kv's terms; `emptyRange` when key ≥ range_end. */
export function decodeGrpcWatchCreate(create: JsonObject): {
  request: WatchRequest;
  watchId: number;
  fragment: boolean;
  emptyRange: boolean;
} {
  const key = readBytes(create, 'key', PATH);
  const rangeEnd = readBytes(create, 'range_end', PATH);
  const request: WatchRequest = { key: key && key.length > 0 ? key : Uint8Array.of(0) };
  if (rangeEnd && rangeEnd.length > 0) request.rangeEnd = rangeEnd;
  const start = readInt64(create, 'start_revision', PATH);
  if (start) request.startRevision = start;
  if (readBool(create, 'prev_kv', PATH)) request.prevKv = true;
  if (readBool(create, 'progress_notify', PATH)) request.progressNotify = true;
  const filters = (readArray(create, 'filters', PATH) ?? [])
    .map((f) => FILTERS.find((x) => x === f) ?? FILTERS[Number(f)])
    .filter((f) => f !== undefined);
  if (filters.length > 0) request.filters = filters;
  const fromKey =
    request.rangeEnd !== undefined && request.rangeEnd.length === 1 && request.rangeEnd[0] === 0;
  const emptyRange =
    request.rangeEnd !== undefined && !fromKey && compareBytes(request.key, request.rangeEnd) >= 0;
  return {
    request,
    watchId: readInt64(create, 'watch_id', PATH) ?? 0,
    fragment: readBool(create, 'fragment', PATH) ?? false,
    emptyRange,
  };
}

/** The gateway's event with its type as etcd's enum number (DELETE = 1; PUT = 0 is omitted). */
function grpcEvent(e: Event): Json {
  return { ...encodeEvent(e), type: e.type === 'DELETE' ? 1 : undefined };
}

function kvBytes(kv: { key: Uint8Array; value: Uint8Array } | undefined): number {
  return kv ? kv.key.length + kv.value.length + 48 : 0;
}

/** Splits events into runs of at most `bytesMax` (estimated wire size); one event may exceed it alone. */
export function fragmentEvents(events: readonly Event[], bytesMax: number): Event[][] {
  const parts: Event[][] = [];
  let current: Event[] = [];
  let size = 0;
  for (const e of events) {
    const bytes = kvBytes(e.kv) + kvBytes(e.prevKv) + 8;
    if (current.length > 0 && size + bytes > bytesMax) {
      parts.push(current);
      current = [];
      size = 0;
    }
    current.push(e);
    size += bytes;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

export function serveWatch(call: WatchCall, o: WatchServiceOptions): void {
  const { node } = o;
  const out = new StreamWriter(call);
  const live = new Map<number, WatchStream>();
  let nextId = 0;
  const header = (revision?: number): Json => makeHeader(node, revision);

  const stop = (id: number): boolean => {
    const stream = live.get(id);
    if (!stream) return false;
    live.delete(id);
    stream.cancel();
    o.release();
    return true;
  };

  const refuse = (reason: string): void => {
    void out.write({
      header: header(node.status().revision),
      watch_id: '-1',
      created: true,
      canceled: true,
      cancel_reason: reason,
    });
  };

  const send = async (
    id: number,
    stream: WatchStream,
    r: WatchResponse,
    fragment: boolean,
  ): Promise<void> => {
    if (live.get(id) !== stream) return; // cancelled meanwhile: etcd sends nothing after the cancel answer
    if (r.canceled) {
      stop(id);
      // etcd 3.4 gives no reason when compaction cancels a watch (compact_revision says it all).
      const reason = r.compactRevision ? undefined : r.cancelReason || undefined;
      await out.write({
        header: header(),
        watch_id: i64(id),
        canceled: true,
        compact_revision: i64(r.compactRevision),
        cancel_reason: reason,
      });
      return;
    }
    const parts =
      fragment && r.events.length > 1 ? fragmentEvents(r.events, o.fragmentBytesMax) : [r.events];
    for (let i = 0; i < parts.length; i++) {
      const events = parts[i]!;
      await out.write({
        header: header(r.revision),
        watch_id: i64(id),
        fragment: i < parts.length - 1 || undefined,
        events: events.length > 0 ? events.map(grpcEvent) : undefined,
      });
    }
  };

  const pump = async (id: number, stream: WatchStream, fragment: boolean): Promise<void> => {
    try {
      for await (const r of stream) {
        await send(id, stream, r, fragment);
        if (r.canceled || live.get(id) !== stream) break;
      }
    } catch (err) {
      o.onError('Watch', err);
      if (live.get(id) === stream) {
        stop(id);
        await out.write({
          header: header(),
          watch_id: i64(id),
          canceled: true,
          cancel_reason: toGrpcStatus(err).status.details,
        });
      }
    }
  };

  const create = (c: JsonObject): void => {
    const { request, watchId, fragment, emptyRange } = decodeGrpcWatchCreate(c);
    if (emptyRange) return refuse(WatchCancelText.emptyRange);
    if (watchId !== 0 && live.has(watchId)) return refuse(WatchCancelText.duplicateId);
    if (!o.admit())
      return refuse(
        'flotilla: too many watchers on this server (watchersMax); close some or use another member',
      );
    let id = watchId;
    if (id === 0) {
      while (live.has(nextId)) nextId++;
      id = nextId++;
    }
    let stream: WatchStream;
    const revision = node.status().revision;
    try {
      stream = node.watch(request);
    } catch (err) {
      o.release();
      return refuse(toGrpcStatus(err).status.details);
    }
    live.set(id, stream);
    void out.write({ header: header(revision), watch_id: i64(id), created: true });
    void pump(id, stream, fragment);
  };

  const handle = (req: JsonObject): void => {
    const createReq = readObject(req, 'create_request', 'watch');
    if (createReq) return create(createReq);
    const cancelReq = readObject(req, 'cancel_request', 'watch');
    if (cancelReq) {
      const id = readInt64(cancelReq, 'watch_id', 'watch.cancel_request') ?? 0;
      if (stop(id))
        void out.write({
          header: header(node.status().revision),
          watch_id: i64(id),
          canceled: true,
        });
      return;
    }
    // etcd 3.4 answers a progress request once for the stream, with watch_id -1.
    if (readObject(req, 'progress_request', 'watch'))
      void out.write({ header: header(node.status().revision), watch_id: '-1' });
    // A request with none of the three is ignored, as etcd does.
  };

  const closeAll = (): void => {
    for (const id of [...live.keys()]) stop(id);
  };
  call.on('data', (req: JsonObject) => {
    try {
      handle(req);
    } catch (err) {
      o.onError('Watch', err);
      closeAll();
      out.fail(toGrpcStatus(err).status);
    }
  });
  call.on('end', () => {
    closeAll();
    out.end();
  });
  call.on('close', closeAll);
  call.on('cancelled', closeAll);
}
