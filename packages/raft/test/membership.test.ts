import { describe, expect, it } from 'vitest';
import {
  entryBytes,
  InvalidConfChangeError,
  ProposalDroppedError,
  RawNode,
  seededRng,
  type ConfChange,
} from '@flotilla/raft';
import { bytes, Cluster } from './harness.js';
import { appendResp, cycle, elect, newNode } from './util.js';

function proposeConf(c: Cluster, cc: ConfChange): void {
  const r = c.leader().raw.proposeConfChange(cc);
  if (!r.ok) throw r.error;
  c.stabilize();
}

describe('membership', () => {
  it('learners receive the log but neither vote nor count for the quorum', () => {
    const c = new Cluster([1, 2, 3], { learners: [4] });
    c.campaign(1);
    c.propose('a');
    expect(c.node(4).applied).toEqual(['a']);
    // Only the learner is reachable: nothing commits.
    c.isolate(2);
    c.isolate(3);
    const commit = c.node(1).raw.status().hardState.commit;
    c.node(1).raw.propose(bytes('b'));
    c.stabilize();
    expect(c.node(4).raw.status().lastIndex).toBe(commit + 1);
    expect(c.node(1).raw.status().hardState.commit).toBe(commit);
    // A learner never campaigns, however long it waits.
    c.heal();
    c.isolate(1);
    c.tick(60, [4]);
    expect(c.node(4).raw.status().softState.role).toBe('follower');
    expect(
      c.delivered.some((m) => m.from === 4 && (m.type === 'preVote' || m.type === 'vote')),
    ).toBe(false);
  });

  it('adding a learner, then promoting it with addVoter, makes it a voter', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose('a');
    c.addNode(4, [1, 2, 3]);
    proposeConf(c, { changes: [{ op: 'addLearner', nodeId: 4 }] });
    c.tick(2);
    expect(c.node(1).raw.status().confState.learners).toEqual([4]);
    expect(c.node(4).raw.status().confState.learners).toEqual([4]);
    expect(c.node(4).applied).toEqual(['a']);
    proposeConf(c, { changes: [{ op: 'addVoter', nodeId: 4 }] });
    c.tick(2);
    for (const n of c.nodes.values()) {
      expect(n.raw.status().confState).toEqual({
        voters: [1, 2, 3, 4],
        votersOutgoing: [],
        learners: [],
        learnersNext: [],
      });
    }
  });

  it('conf changes take effect when applied (advance), not when appended or committed', () => {
    const raw = newNode(1, { voters: [1, 2] });
    elect(raw, [2]);
    const { term } = raw.status().hardState;
    raw.step(appendResp(2, 1, term, 1));
    while (raw.hasReady()) cycle(raw);
    const r = raw.proposeConfChange({ changes: [{ op: 'addLearner', nodeId: 3 }] });
    expect(r.ok).toBe(true);
    cycle(raw);
    raw.step(appendResp(2, 1, term, 2));
    expect(raw.status().hardState.commit).toBe(2);
    expect(raw.status().confState.learners).toEqual([]);
    const rd = raw.ready();
    expect(rd.committedEntries.map((e) => e.type)).toEqual(['confChange']);
    expect(raw.status().confState.learners).toEqual([]);
    raw.advance(rd);
    expect(raw.status().confState.learners).toEqual([3]);
  });

  it('joint consensus: two voter changes go through C_old,new, and the leader leaves the joint config itself', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addNode(4, [1, 2, 3]);
    c.addNode(5, [1, 2, 3]);
    proposeConf(c, {
      changes: [
        { op: 'addVoter', nodeId: 4 },
        { op: 'addVoter', nodeId: 5 },
        { op: 'removeNode', nodeId: 3 },
      ],
    });
    c.tick(3);
    const confEntries = c.node(1).committedLog.filter((e) => e.type === 'confChange');
    expect(confEntries.map((e) => e.type === 'confChange' && e.change.changes.length)).toEqual([
      3, 0,
    ]);
    for (const id of [1, 2, 4, 5]) {
      expect(c.node(id).raw.status().confState).toEqual({
        voters: [1, 2, 4, 5],
        votersOutgoing: [],
        learners: [],
        learnersNext: [],
      });
    }
    c.propose('after');
    for (const id of [1, 2, 4, 5]) expect(c.node(id).applied).toEqual(['after']);
  });

  it('joint consensus: while joint, a quorum needs a majority of both C_old and C_new', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addNode(4, [1, 2, 3]);
    c.addNode(5, [1, 2, 3]);
    c.isolate(4);
    c.isolate(5);
    // The joint entry commits under C_old = {1,2,3}; then {1,4,5} has no majority.
    proposeConf(c, {
      changes: [
        { op: 'addVoter', nodeId: 4 },
        { op: 'addVoter', nodeId: 5 },
        { op: 'removeNode', nodeId: 2 },
        { op: 'removeNode', nodeId: 3 },
      ],
    });
    c.tick(1);
    const st = c.node(1).raw.status();
    expect(st.confState.votersOutgoing).toEqual([1, 2, 3]);
    expect(st.confState.voters).toEqual([1, 4, 5]);
    const commit = st.hardState.commit;
    c.node(1).raw.propose(bytes('stuck'));
    c.tick(2);
    expect(c.node(1).raw.status().hardState.commit).toBe(commit);
    c.heal();
    c.tick(3);
    expect(c.node(1).raw.status().confState.votersOutgoing).toEqual([]);
    expect(c.node(1).applied).toEqual(['stuck']);
  });

  it('joint consensus: while joint, the new voters alone (old voters cut off) commit nothing', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addNode(4, [1, 2, 3]);
    c.addNode(5, [1, 2, 3]);
    const r = c.leader().raw.proposeConfChange({
      changes: [
        { op: 'addVoter', nodeId: 4 },
        { op: 'addVoter', nodeId: 5 },
        { op: 'removeNode', nodeId: 2 },
        { op: 'removeNode', nodeId: 3 },
      ],
    });
    if (!r.ok) throw r.error;
    // Run until the leader has applied the joint entry, then cut off C_old's other voters before it can leave.
    const joint = () => c.node(1).raw.status().confState.votersOutgoing.length > 0;
    for (let i = 0; i < 10_000 && !joint(); i++) {
      for (const id of c.nodes.keys()) c.process(id);
      c.deliverOne();
    }
    expect(joint()).toBe(true);
    c.isolate(2);
    c.isolate(3);
    const commit = c.node(1).raw.status().hardState.commit;
    c.node(1).raw.propose(bytes('needs-both'));
    c.tick(3);
    // C_new = {1,4,5} has every entry, but C_old = {1,2,3} has no majority: nothing commits, the config stays joint.
    expect(c.node(4).raw.status().lastIndex).toBe(c.node(1).raw.status().lastIndex);
    expect(c.node(1).raw.status().hardState.commit).toBe(commit);
    expect(c.node(1).raw.status().confState.votersOutgoing).toEqual([1, 2, 3]);
    c.heal();
    c.tick(3);
    expect(c.node(1).raw.status().confState.votersOutgoing).toEqual([]);
    expect(c.node(1).applied).toEqual(['needs-both']);
  });

  it('a joint change demoting a voter to learner parks it in learnersNext until the joint config is left', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addNode(4, [1, 2, 3]);
    // C_new = {1,2,4} cannot reach a majority: the config stays joint.
    c.isolate(2);
    c.isolate(4);
    proposeConf(c, {
      changes: [
        { op: 'addLearner', nodeId: 3 },
        { op: 'addVoter', nodeId: 4 },
      ],
    });
    c.tick(1);
    expect(c.node(1).raw.status().confState).toEqual({
      voters: [1, 2, 4],
      votersOutgoing: [1, 2, 3],
      learners: [],
      learnersNext: [3],
    });
    c.heal();
    c.tick(3);
    expect(c.node(1).raw.status().confState).toEqual({
      voters: [1, 2, 4],
      votersOutgoing: [],
      learners: [3],
      learnersNext: [],
    });
  });

  it("a conf change's context reaches every member's committed entry unchanged and counts in its size", () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    const context = bytes('member metadata');
    proposeConf(c, { changes: [{ op: 'addLearner', nodeId: 4 }], context });
    for (const id of [1, 2, 3]) {
      const e = c.node(id).committedLog.find((x) => x.type === 'confChange');
      expect(e?.type === 'confChange' && e.change.context).toEqual(context);
    }
    const entry = { type: 'confChange', term: 1, index: 9 } as const;
    expect(
      entryBytes({ ...entry, change: { changes: [], context: new Uint8Array(1000) } }) -
        entryBytes({ ...entry, change: { changes: [] } }),
    ).toBe(1000);
  });

  it('a new leader proposes no conf change until an entry of its term is committed', () => {
    const raw = newNode(1);
    elect(raw, [2, 3]);
    const r = raw.proposeConfChange({ changes: [{ op: 'addLearner', nodeId: 4 }] });
    expect(!r.ok && r.error instanceof ProposalDroppedError && r.error.reason).toBe(
      'notCommittedInTerm',
    );
  });

  it('no second conf change while one is pending (confChangePending)', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(2);
    c.isolate(3);
    const first = c.node(1).raw.proposeConfChange({ changes: [{ op: 'addLearner', nodeId: 4 }] });
    expect(first.ok).toBe(true);
    const second = c.node(1).raw.proposeConfChange({ changes: [{ op: 'addLearner', nodeId: 5 }] });
    expect(!second.ok && second.error instanceof ProposalDroppedError && second.error.reason).toBe(
      'confChangePending',
    );
    c.heal();
    c.tick(2);
    expect(c.node(1).raw.proposeConfChange({ changes: [{ op: 'addLearner', nodeId: 5 }] }).ok).toBe(
      true,
    );
  });

  it('an invalid conf change is refused with InvalidConfChangeError', () => {
    const c = new Cluster([1]);
    c.campaign(1);
    c.tick(1);
    const r = c.node(1).raw.proposeConfChange({ changes: [{ op: 'removeNode', nodeId: 1 }] });
    expect(!r.ok && r.error instanceof InvalidConfChangeError).toBe(true);
    const leave = c.node(1).raw.proposeConfChange({ changes: [] });
    expect(!leave.ok && leave.error instanceof InvalidConfChangeError).toBe(true);
  });

  it('a removed leader keeps leading until the removal is applied, then steps down; the rest elect a leader', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose('a');
    const leader = c.node(1).raw;
    const r = leader.proposeConfChange({ changes: [{ op: 'removeNode', nodeId: 1 }] });
    expect(r.ok).toBe(true);
    c.stabilize();
    expect(leader.status().softState.role).toBe('follower');
    expect(leader.status().confState.voters).toEqual([2, 3]);
    c.tick(40);
    const leaders = c.leaders();
    expect(leaders).toHaveLength(1);
    expect([2, 3]).toContain(leaders[0]);
    c.propose('b');
    expect(c.node(2).applied).toEqual(['a', 'b']);
  });

  it('a restarted node replays the conf changes in its log up to applied, from its bootstrap configuration', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addNode(4, [1, 2, 3]);
    proposeConf(c, { changes: [{ op: 'addLearner', nodeId: 4 }] });
    c.tick(2);
    const n2 = c.node(2);
    n2.restart();
    expect(n2.raw.status().confState.learners).toEqual([]); // nothing applied yet after a restart
    c.tick(2);
    expect(n2.raw.status().confState.learners).toEqual([4]);
    // With `applied` given (a state machine that persisted its applied index), the replay is immediate.
    const entries = c.node(2).storage.entries;
    const raw = new RawNode({
      id: 2,
      rng: seededRng(1),
      initial: {
        hardState: n2.storage.hardState,
        confState: { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] },
        entries,
        applied: n2.storage.hardState.commit,
      },
    });
    expect(raw.status().confState.learners).toEqual([4]);
    expect(raw.status().applied).toBe(n2.storage.hardState.commit);
  });
});

describe('conf-change contexts and the uncommitted-bytes limit', () => {
  it("counts a conf change's context against maxUncommittedBytes", () => {
    const c = new Cluster([1, 2, 3], { maxUncommittedBytes: 4096 });
    c.campaign(1);
    const leader = c.node(1).raw;
    c.isolate(2);
    c.isolate(3);
    // An uncommitted entry holds part of the budget; the change's own context must fit in the rest.
    expect(leader.propose(new Uint8Array(2048)).ok).toBe(true);
    const big = leader.proposeConfChange({
      changes: [{ op: 'addLearner', nodeId: 4 }],
      context: new Uint8Array(3000),
    });
    expect(big.ok).toBe(false);
    expect(!big.ok && big.error.name).toBe('ProposalDroppedError');
    const small = leader.proposeConfChange({
      changes: [{ op: 'addLearner', nodeId: 4 }],
      context: new Uint8Array(100),
    });
    expect(small.ok).toBe(true);
  });
});
