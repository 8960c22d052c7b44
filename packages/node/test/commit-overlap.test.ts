// A batch that only moves the commit index writes the KV state for the
// newly committed entries while its (unsynced) hard state is being written,
// not after it; a crash between the two writes loses nothing acknowledged.
import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import { MemoryLevel } from 'memory-level';
import { MemoryStorage, type PersistBatch, type WriteOptions } from '@flotilla/storage';
import { MemCluster } from './mem-cluster.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

/** Wraps a storage so commit-only hard state writes can be held back while `holding` is true. */
function gatedStorage(inner: MemoryStorage): {
  storage: MemoryStorage;
  gate: { holding: boolean; held: (() => void)[] };
} {
  const gate = { holding: false, held: [] as (() => void)[] };
  const persist = async (batch: PersistBatch, options?: WriteOptions): Promise<void> => {
    const commitOnly =
      batch.entries === undefined && batch.snapshotMeta === undefined && options?.sync !== true;
    if (gate.holding && commitOnly) await new Promise<void>((resolve) => gate.held.push(resolve));
    return inner.persist(batch, options);
  };
  const storage = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'persist') return persist;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { storage, gate };
}

describe('commit-only batches', () => {
  it('apply the committed entries to the KV while the hard state write is still in flight', async () => {
    const c = new MemCluster(81, [1]);
    const { storage, gate } = gatedStorage(new MemoryStorage());
    c.members.set(1, {
      node: undefined,
      transport: undefined,
      storage,
      state: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }),
    });
    await c.startNode(1);
    try {
      const leader = await c.waitLeader();
      const before = leader.status().revision;
      gate.holding = true;
      const write = leader.put(put('a', '1'));
      write.catch(() => undefined);
      await c.until(() => gate.held.length > 0, 'a commit-only hard state write is held');
      await c.until(
        () => leader.status().revision > before,
        'the put is applied to the KV while that write is held',
      );
      gate.holding = false;
      for (const release of gate.held.splice(0)) release();
      const res = await c.settle(write);
      expect(res.header.revision).toBe(before + 1);
    } finally {
      gate.holding = false;
      for (const release of gate.held.splice(0)) release();
      await c.shutdown();
    }
  });
});
