// Re-adding a removed member under its old id with its data kept (the fault
// suite's churn nemesis does this to real processes): the removed node keeps
// running, is added back as a voter, catches up and serves, and no member's
// state diverges. Runs on virtual time (MemCluster).
import { describe, expect, it } from 'vitest';
import { bytes, type KeyValue } from '@flotilla/kv';
import type { FlotillaNode } from '../src/index.js';
import { FAST, MemCluster } from './mem-cluster.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Sequential writers through the members that stay; each write is acknowledged, failed or unknown. */
class Writers {
  readonly acked = new Map<string, string>();
  readonly unknown = new Set<string>();
  readonly errors = new Map<string, number>();
  #stopped = false;
  #next = 0;
  readonly #done: Promise<void>[];

  constructor(
    private readonly c: MemCluster,
    nodes: readonly FlotillaNode[],
  ) {
    this.#done = nodes.map((n) => this.#loop(n));
  }

  async #loop(node: FlotillaNode): Promise<void> {
    while (!this.#stopped) {
      const key = `w/${String(this.#next++).padStart(5, '0')}`;
      const value = `v${key}`;
      try {
        await node.put({ key: bytes(key), value: bytes(value) });
        this.acked.set(key, value);
      } catch (err) {
        // During a leader's removal a forwarded write may or may not have been committed.
        this.unknown.add(key);
        const name = (err as Error).name;
        this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
        // Back off 20 virtual ms so a member without a leader is not asked in a tight loop.
        await new Promise<void>((resolve) => this.c.clock.setTimer(20, resolve));
      }
    }
  }

  stop(): Promise<void[]> {
    this.#stopped = true;
    return Promise.all(this.#done);
  }
}

async function dump(node: FlotillaNode): Promise<string[]> {
  const r = await node.range(
    { key: bytes('w/'), rangeEnd: bytes('w0') },
    { consistency: 'serializable' },
  );
  return r.kvs.map((kv: KeyValue) => `${text(kv.key)}=${text(kv.value)}@${kv.modRevision}`);
}

describe('re-adding a removed member under its old id, data kept', () => {
  for (const role of ['follower', 'leader'] as const) {
    it(`member 3 removed as ${role} under writes, re-added as a voter: it catches up, serves, and every member holds the same state`, async () => {
      // Writes forwarded to a removed leader are never answered (it hears nothing after its removal):
      // short timeouts turn them into unknowns quickly so the writers go on.
      const c = await MemCluster.start(role === 'leader' ? 61 : 62, [1, 2, 3], {
        ...FAST,
        snapshotEntries: 40,
        forwardTimeoutMs: 300,
        proposalTimeoutMs: 600,
      });
      try {
        let leader = await c.waitLeader();
        if (role === 'leader' && leader.id !== 3) await c.settle(leader.transferLeadership(3));
        if (role === 'follower' && leader.id === 3) await c.settle(leader.transferLeadership(1));
        leader = await c.waitLeader();
        expect(leader.id === 3).toBe(role === 'leader');
        const writers = new Writers(c, [c.node(1), c.node(2)]);
        await c.run(200);

        const asker = c.node(1);
        await c.settle(asker.removeMember(3));
        // A member that forwarded the change resolves once the leader applied it; it applies it a moment later.
        await c.until(
          () => [1, 2].every((id) => c.node(id).status().confState.voters.length === 2),
          'members 1 and 2 applied the removal',
        );
        expect([...c.node(1).status().confState.voters].sort()).toEqual([1, 2]);
        const ackedAtRemoval = writers.acked.size;
        await c.run(500); // node 3 keeps running outside the configuration while 1 and 2 commit without it
        expect(writers.acked.size).toBeGreaterThan(ackedAtRemoval);

        await c.settle(c.node(1).confChange({ changes: [{ op: 'addVoter', nodeId: 3 }] }));
        const three = c.node(3);
        await c.until(
          () => three.status().confState.voters.includes(3),
          'node 3 sees itself a voter again',
        );
        await c.run(300);
        await c.settle(writers.stop());
        expect(writers.acked.size).toBeGreaterThan(ackedAtRemoval);

        // It serves: a write through it commits, and its linearizable read sees the newest write.
        await c.settle(three.put({ key: bytes('w/through-3'), value: bytes('yes') }));
        const read = await c.settle(three.range({ key: bytes('w/through-3') }));
        expect(read.kvs.map((kv) => text(kv.value))).toEqual(['yes']);

        const applied = c.node(1).status().appliedIndex;
        await c.until(
          () => c.running().every((n) => n.status().appliedIndex >= applied),
          'every member applied the last write',
        );
        const states = await c.settle(Promise.all([1, 2, 3].map((id) => dump(c.node(id)))));
        expect(states[1]).toEqual(states[0]);
        expect(states[2]).toEqual(states[0]);
        const held = new Map(
          states[0]!.map((line) => [line.split('=')[0]!, line.split('=')[1]!.split('@')[0]!]),
        );
        for (const [key, value] of writers.acked)
          expect(held.get(key), `acknowledged ${key}`).toBe(value);
        for (const key of held.keys())
          expect(
            writers.acked.has(key) || writers.unknown.has(key) || key === 'w/through-3',
            `${key} was written`,
          ).toBe(true);
        // A later election may pick node 3 again: it is a full voter.
        expect(c.node(1).status().confState.voters).toContain(3);
      } finally {
        await c.shutdown();
      }
    }, 60_000);
  }
});
