// Maintenance RPCs that have no HTTP handler to reuse: Alarm, Snapshot, and
// the ones Flotilla answers honestly with UNIMPLEMENTED.
import { etcdTrailerWriter } from '@flotilla/backup';
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { i64, type Json } from '../codec/encode-kv.js';
import { GatewayError } from '../codec/gateway-error.js';
import { GrpcCode } from '../codec/grpc-code.js';
import { readInt64, type JsonObject } from '../codec/json-reader.js';
import { makeHeader } from '../http/context.js';
import type { BackupSourceFn } from '../http/handlers-snapshot.js';
import type { ServedNode } from '../http/served-node.js';
import { toGrpcStatus } from './status.js';
import { StreamWriter } from './stream-writer.js';

/** Why each unimplemented RPC is unimplemented: the message the caller gets. */
export const UNIMPLEMENTED_TEXT = {
  Defragment:
    'flotilla: Defragment is not supported: Flotilla stores data in LevelDB, which reclaims space by its own background compaction; there is nothing to defragment',
  Hash: "flotilla: Hash is not supported: it hashes etcd's bbolt file, which Flotilla does not have",
  Downgrade: 'flotilla: Downgrade is not supported: there is one Flotilla storage version',
  AlarmActivate:
    'flotilla: alarms cannot be raised by hand: Flotilla has no NOSPACE or CORRUPT alarms',
} as const;

export function unimplemented(text: string) {
  return (_call: unknown, callback: sendUnaryData<Json>): void => {
    callback({ code: GrpcCode.Unimplemented, details: text });
  };
}

const ALARM_GET = 0;
const ALARM_ACTIVATE = 1;

/**
 * Flotilla raises no alarms (no space quota, no corruption check), so GET
 * lists none and DEACTIVATE has nothing to clear; ACTIVATE is refused.
 */
export function alarm(node: ServedNode) {
  return (call: ServerUnaryCall<JsonObject, Json>, callback: sendUnaryData<Json>): void => {
    const action = readInt64(call.request ?? {}, 'action', 'alarm') ?? ALARM_GET;
    if (action === ALARM_ACTIVATE)
      return callback({ code: GrpcCode.Unimplemented, details: UNIMPLEMENTED_TEXT.AlarmActivate });
    callback(null, { header: makeHeader(node, node.status().revision) });
  };
}

/** etcd sends snapshot blobs in 32 KiB pieces. */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

/** The backup in etcd-sized pieces, then etcd's snapshot trailer (padding and SHA-256; see @flotilla/backup's etcd-trailer). */
async function* pieces(
  chunks: AsyncIterator<Uint8Array>,
  first: IteratorResult<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const trailer = etcdTrailerWriter();
  for (let r = first; !r.done; r = await chunks.next()) {
    trailer.update(r.value);
    for (let at = 0; at < r.value.length; at += SNAPSHOT_CHUNK_BYTES)
      yield r.value.subarray(at, at + SNAPSHOT_CHUNK_BYTES);
  }
  yield trailer.end();
}

/**
 * Snapshot streams the member's backup file (the @flotilla/backup format,
 * which `flotilla snapshot verify|restore` read), not an etcd bbolt file,
 * followed by etcd's snapshot trailer: zero padding to a multiple of 512
 * bytes and a SHA-256 of everything before it. `etcdctl snapshot save`
 * requires that shape, and the backup reader looks through it. The total
 * size is not known in advance, so `remaining_bytes` counts only the bytes
 * already read ahead; it is 0 on the last message alone.
 */
export function snapshot(
  node: ServedNode,
  open: BackupSourceFn | undefined,
  onError: (method: string, err: unknown) => void,
) {
  return async (call: ServerWritableStream<JsonObject, Json>): Promise<void> => {
    const out = new StreamWriter(call);
    if (!open)
      return out.fail({
        code: GrpcCode.Unimplemented,
        details:
          'flotilla: this server was started without a backup source; snapshots are served by `flotilla start` members',
      });
    const body = open();
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    try {
      let first: IteratorResult<Uint8Array>;
      try {
        first = await chunks.next();
      } catch (err) {
        throw new GatewayError(
          GrpcCode.Unavailable,
          `cannot take a snapshot of this member: ${(err as Error).message}`,
        );
      }
      const it = pieces(chunks, first);
      let current = await it.next();
      let sentHeader = false;
      while (!current.done && !out.done) {
        const next = await it.next();
        const blob = Buffer.from(current.value).toString('base64');
        await out.write({
          header: sentHeader ? undefined : makeHeader(node, node.status().revision),
          remaining_bytes: next.done ? undefined : i64(next.value.length),
          blob,
        });
        sentHeader = true;
        current = next;
      }
      out.end();
    } catch (err) {
      onError('Snapshot', err);
      out.fail(toGrpcStatus(err).status);
    } finally {
      // A client that hung up early: release the member's snapshot now.
      await chunks.return?.();
      body.destroy();
    }
  };
}
