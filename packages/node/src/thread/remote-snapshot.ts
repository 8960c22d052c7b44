// kv's snapshot stream of a worker node, seen from the host: the chunks are
// pulled from the worker a few MiB per call, so a slow reader (a backup
// writing to a slow disk) holds nothing in the worker but kv's iterator.
import type { KvSnapshot } from '@flotilla/kv';

export interface SnapshotLink {
  next(sid: number): Promise<{ chunks: Uint8Array[]; done: boolean }>;
  close(sid: number): Promise<void>;
}

export function remoteSnapshot(sid: number, meta: object, link: SnapshotLink): KvSnapshot {
  let done = false;
  const chunks: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      while (!done) {
        const r = await link.next(sid);
        done = r.done;
        yield* r.chunks;
      }
    },
  };
  const close = async (): Promise<void> => {
    if (done) return;
    done = true;
    await link.close(sid);
  };
  return { ...(meta as Omit<KvSnapshot, 'chunks' | 'close'>), chunks, close };
}
