// Randomized schedules over the harness: partitions, message loss, crashes
// with restart from storage, compaction and membership churn. After every
// step the Raft safety properties must hold; at the end, once healed, the
// cluster must make progress again. A failing schedule shrinks to a small one.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ConfChange, Message, NodeId } from '@flotilla/raft';
import { bytes, Cluster, text } from './harness.js';

export type Op =
  | { kind: 'tick'; n: number }
  | { kind: 'propose'; value: number }
  | { kind: 'isolate'; id: NodeId }
  | { kind: 'isolateLeader' }
  | { kind: 'heal' }
  | { kind: 'lossy'; seed: number }
  | { kind: 'chaos'; seed: number }
  | { kind: 'restart'; id: NodeId }
  | { kind: 'compact'; id: NodeId }
  | { kind: 'compactLeader' }
  | { kind: 'conf'; change: ConfChange }
  | { kind: 'transfer'; id: NodeId }
  | { kind: 'read'; id: NodeId };

const nodeId = fc.integer({ min: 1, max: 5 });
export const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('tick' as const), n: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('propose' as const), value: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('isolate' as const), id: nodeId }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('isolateLeader' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lossy' as const), seed: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('chaos' as const), seed: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), id: nodeId }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), id: nodeId }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compactLeader' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transfer' as const), id: nodeId }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), id: nodeId }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('conf' as const),
      change: fc.record({
        changes: fc.array(
          fc.record({ op: fc.constantFrom('addVoter' as const, 'addLearner' as const, 'removeNode' as const), nodeId }),
          { minLength: 0, maxLength: 2 },
        ),
      }),
    }),
  },
);

class Checker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly committed = new Map<number, string>();
  private readonly seen = new Map<NodeId, number>();
  private readonly lastCommit = new Map<NodeId, number>();

  check(c: Cluster): void {
    for (const n of c.nodes.values()) {
      const st = n.raw.status();
      if (st.softState.role === 'leader') {
        const prev = this.leaderOfTerm.get(st.hardState.term);
        if (prev !== undefined && prev !== n.id) {
          throw new Error(`election safety: nodes ${prev} and ${n.id} both led term ${st.hardState.term}`);
        }
        this.leaderOfTerm.set(st.hardState.term, n.id);
      }
      const before = this.lastCommit.get(n.id) ?? 0;
      if (st.hardState.commit < before) throw new Error(`node ${n.id} commit went back from ${before} to ${st.hardState.commit}`);
      this.lastCommit.set(n.id, st.hardState.commit);
      const from = this.seen.get(n.id) ?? 0;
      for (const e of n.committedLog.slice(from)) {
        const key = `${e.term}:${e.type === 'normal' ? text(e.data) : JSON.stringify(e.change)}`;
        const other = this.committed.get(e.index);
        if (other !== undefined && other !== key) {
          throw new Error(`state machine safety: index ${e.index} applied as ${other} and as ${key} (node ${n.id})`);
        }
        this.committed.set(e.index, key);
      }
      this.seen.set(n.id, n.committedLog.length);
    }
  }
}

export function run(ops: Op[], seed: number): { cluster: Cluster; trace: string[] } {
  const c = new Cluster([1, 2, 3], { seed, electionTicks: 10, maxInflightMsgs: 4, maxMsgBytes: 256 });
  c.addNode(4, [1, 2, 3]);
  c.addNode(5, [1, 2, 3]);
  const checker = new Checker();
  const trace: string[] = [];
  const leaderRaw = () => {
    const ls = c.leaders();
    return ls.length === 0 ? undefined : c.leader().raw;
  };
  for (const o of ops) {
    switch (o.kind) {
      case 'tick':
        c.tick(o.n);
        break;
      case 'propose':
        leaderRaw()?.propose(bytes(`v${o.value}`));
        c.stabilize();
        break;
      case 'isolate':
        c.isolate(o.id);
        break;
      case 'isolateLeader':
        for (const id of c.leaders()) c.isolate(id);
        break;
      case 'heal':
        c.heal();
        break;
      case 'lossy': {
        let x = o.seed >>> 0;
        c.drop = (_m: Message) => {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          return x % 5 === 0;
        };
        break;
      }
      case 'chaos': {
        // Reorder and duplicate messages (a deterministic LCG drives the choices).
        let x = o.seed >>> 0;
        const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
        c.pick = (n) => (n === 0 ? 0 : next() % n);
        c.duplicate = () => next() % 7 === 0;
        break;
      }
      case 'restart':
        c.node(o.id).restart();
        break;
      case 'compact':
        c.node(o.id).compact();
        break;
      case 'compactLeader':
        for (const id of c.leaders()) c.node(id).compact();
        break;
      case 'conf':
        leaderRaw()?.proposeConfChange(o.change);
        c.stabilize();
        break;
      case 'transfer':
        leaderRaw()?.transferLeadership(o.id);
        c.stabilize();
        break;
      case 'read':
        c.node(o.id).raw.readIndex(`r${trace.length}`);
        c.stabilize();
        break;
    }
    checker.check(c);
    trace.push(JSON.stringify([...c.nodes.values()].map((n) => n.raw.status().hardState)));
  }
  return { cluster: c, trace };
}

/** After healing, the voters elect a leader that gets a new entry applied by every member. */
export function checkLiveness(c: Cluster): void {
  c.heal();
  for (let round = 0; round < 40; round++) {
    c.tick(10);
    if (c.leaders().length === 0) continue;
    const leader = c.leader();
    // Refusals (a transfer in progress, a stale leader) are retried next round.
    if (!leader.raw.propose(bytes('final')).ok) continue;
    c.tick(30);
    const conf = leader.raw.status().confState;
    const members = [...conf.voters, ...conf.learners];
    if (members.every((id) => c.node(id).applied.includes('final'))) return;
  }
  throw new Error('liveness: the healed cluster did not apply a new entry on every member within 1600 ticks');
}

describe('safety under random schedules', () => {
  it('election safety, state machine safety and monotonic commit hold; the healed cluster makes progress', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 60 }), fc.nat(1000), (ops, seed) => {
        const { cluster } = run([{ kind: 'tick', n: 25 }, ...ops], seed);
        checkLiveness(cluster);
      }),
      { numRuns: 400, seed: 20240601 },
    );
  });

  it('determinism: the same schedule and seed give the same run', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 40 }), fc.nat(1000), (ops, seed) => {
        const a = run([{ kind: 'tick', n: 25 }, ...ops], seed);
        const b = run([{ kind: 'tick', n: 25 }, ...ops], seed);
        expect(a.trace).toEqual(b.trace);
        expect(a.cluster.delivered).toEqual(b.cluster.delivered);
      }),
      { numRuns: 20, seed: 7 },
    );
  });
});
