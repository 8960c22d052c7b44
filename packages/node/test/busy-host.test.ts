// A host that blocks its own event loop does not stall consensus: three
// members embedded in this process with openNode, each in its worker thread
// (the default), the host thread busy for three election timeouts while the
// cluster runs. No leader change may follow, and writes issued before the
// block complete. Member 1 is the leader and stands for "this service's"
// member; 2 and 3 stand for members embedded in other services, which a block
// here must not stop either way. With member 1 opened with thread: 'inline',
// the same block deposes it (its heartbeats wait for the blocked loop, the
// others elect a new leader): HOST_MEMBER_THREAD below switches that.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import { openNode, type FlotillaNode } from '../src/index.js';
import { freePort, waitFor } from './tcp-harness.js';

const dir = await mkdtemp(path.join(tmpdir(), 'flotilla-busy-host-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const TICK_MS = 10;
const ELECTION_TICKS = 15;
/** The longest randomized election timeout (2 × electionTicks ticks), three times over. */
const BLOCK_MS = 3 * 2 * ELECTION_TICKS * TICK_MS;

const HOST_MEMBER_THREAD: 'worker' | 'inline' = 'worker';

/** Blocks this thread's event loop: nothing else runs here meanwhile. */
function blockHost(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

it('a host thread blocked for three election timeouts causes no leader change, and writes issued before it complete', async () => {
  const ids = [1, 2, 3];
  const ports = new Map(await Promise.all(ids.map(async (id) => [id, await freePort()] as const)));
  const address = (id: number) => ({ host: '127.0.0.1', port: ports.get(id)! });
  const members: FlotillaNode[] = await Promise.all(
    ids.map((id) =>
      openNode({
        id,
        clusterId: 'busy-host',
        dataDir: path.join(dir, `m${id}`),
        listen: address(id),
        peers: Object.fromEntries(ids.filter((p) => p !== id).map((p) => [p, address(p)])),
        tickMs: TICK_MS,
        electionTicks: ELECTION_TICKS,
        thread: id === 1 ? HOST_MEMBER_THREAD : 'worker',
      }),
    ),
  );
  try {
    await members[0]!.put({ key: bytes('warm'), value: bytes('up') });
    await Promise.all(members.map((m) => m.ready({ timeoutMs: 10_000 })));
    if (members[0]!.status().leader !== 1) await members[0]!.transferLeadership(1);
    // Every member agrees that member 1 leads before the block.
    await waitFor(
      () => members.every((m) => m.status().leader === 1),
      'member 1 the leader on every member',
    );
    const before = members.map((m) => ({
      term: m.status().term,
      changes: m.status().metrics.leaderChanges,
    }));

    // Issued before the block, on every member (followers forward to the leader).
    const writes = members.flatMap((m, i) =>
      Array.from({ length: 10 }, (_, k) =>
        m.put({ key: bytes(`during/${i}/${k}`), value: bytes('x') }),
      ),
    );
    blockHost(BLOCK_MS);
    const done = await Promise.all(writes);
    expect(done).toHaveLength(30);

    // A linearizable read on each member: its answer comes after every state the worker pushed before it.
    for (const m of members) {
      const r = await m.range({ key: bytes('during/'), rangeEnd: bytes('during0') });
      expect(r.count).toBe(30);
    }
    const after = members.map((m) => ({
      term: m.status().term,
      changes: m.status().metrics.leaderChanges,
    }));
    expect(after).toEqual(before);
    expect(members.map((m) => m.status().leader)).toEqual([1, 1, 1]);
  } finally {
    await Promise.all(members.map((m) => m.close()));
  }
}, 60_000);
