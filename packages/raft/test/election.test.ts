import { describe, expect, it } from 'vitest';
import { ConfigError, NotLeaderError, RawNode, seededRng, type NodeId } from '@flotilla/raft';
import { Cluster } from './harness.js';
import { appendResp, cycle, elect, newNode, ofType, sent } from './util.js';

function ticksUntilCampaign(seed: number): number {
  const raw = newNode(1, { seed, electionTicks: 10 });
  for (let t = 1; t <= 100; t++) {
    raw.tick();
    if (raw.status().softState.role !== 'follower') return t;
  }
  throw new Error('never campaigned');
}

describe('elections', () => {
  it('randomized election timeout: drawn from the Rng within [electionTicks, 2*electionTicks)', () => {
    const timeouts = Array.from({ length: 40 }, (_, seed) => ticksUntilCampaign(seed));
    for (const t of timeouts) {
      expect(t).toBeGreaterThanOrEqual(10);
      expect(t).toBeLessThan(20);
    }
    expect(new Set(timeouts).size).toBeGreaterThan(3);
    // Same seed, same timeout: the Rng is the only source of randomness.
    expect(ticksUntilCampaign(7)).toBe(ticksUntilCampaign(7));
  });

  it('§5.2 at most one vote per term: a second candidate of the same term is refused', () => {
    const raw = newNode(1);
    raw.step({
      type: 'vote',
      from: 2,
      to: 1,
      term: 1,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: false,
    });
    raw.step({
      type: 'vote',
      from: 3,
      to: 1,
      term: 1,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: false,
    });
    const resps = ofType(sent(raw), 'voteResp');
    expect(resps.map((m) => [m.to, m.reject])).toEqual([
      [2, false],
      [3, true],
    ]);
    expect(raw.status().hardState.vote).toBe(2);
    // Asking again (a retransmission) gets the same answer.
    raw.step({
      type: 'vote',
      from: 2,
      to: 1,
      term: 1,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: false,
    });
    expect(ofType(sent(raw), 'voteResp')[0]?.reject).toBe(false);
  });

  it('§5.4.1 election restriction: votes only for a log at least as up-to-date', () => {
    const ask = (lastLogIndex: number, lastLogTerm: number): boolean => {
      const raw = newNode(1, { logTerms: [1, 2, 2] });
      raw.step({
        type: 'vote',
        from: 2,
        to: 1,
        term: 5,
        lastLogIndex,
        lastLogTerm,
        transfer: false,
      });
      return !ofType(sent(raw), 'voteResp')[0]!.reject;
    };
    expect(ask(5, 1)).toBe(false); // older last term, longer log
    expect(ask(2, 2)).toBe(false); // same last term, shorter log
    expect(ask(3, 2)).toBe(true);
    expect(ask(1, 3)).toBe(true); // newer last term wins however short
  });

  it('hard state is in every Ready that changes it, synced, and the vote is sent only after it', () => {
    const raw = newNode(1);
    raw.step({
      type: 'vote',
      from: 2,
      to: 1,
      term: 4,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: false,
    });
    const rd = cycle(raw);
    expect(rd.hardState).toEqual({ term: 4, vote: 2, commit: 0 });
    expect(rd.mustSync).toBe(true);
    expect(rd.earlyMessages).toEqual([]);
    expect(ofType(rd.messages, 'voteResp')).toHaveLength(1);
    expect(raw.hasReady()).toBe(false);
    // A candidate's own term and vote are persisted with its vote requests.
    const cand = newNode(1, { preVote: false });
    cand.campaign();
    const rd2 = cycle(cand);
    expect(rd2.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(ofType(rd2.messages, 'vote')).toHaveLength(2);
  });

  it('a node steps down on seeing a higher term', () => {
    const raw = newNode(1);
    elect(raw, [2]);
    expect(raw.status().softState.role).toBe('leader');
    const term = raw.status().hardState.term;
    raw.step({ type: 'heartbeatResp', from: 2, to: 1, term: term + 3, context: '' });
    expect(raw.status().softState).toEqual({ role: 'follower', leader: 0 });
    expect(raw.status().hardState.term).toBe(term + 3);
    expect(raw.status().hardState.vote).toBe(0);
  });

  it('PreVote: a pre-candidate keeps its term and a pre-vote binds no voter', () => {
    const raw = newNode(1);
    raw.campaign();
    expect(raw.status().softState.role).toBe('preCandidate');
    expect(raw.status().hardState.term).toBe(0);
    const pre = ofType(sent(raw), 'preVote');
    expect(pre.map((m) => m.term)).toEqual([1, 1]);
    const voter = newNode(2);
    voter.step(pre.find((m) => m.to === 2)!);
    expect(ofType(sent(voter), 'preVoteResp')[0]?.reject).toBe(false);
    expect(voter.status().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
  });

  it('PreVote: a partitioned node rejoining does not disrupt the cluster (its term does not rise)', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    const term = c.node(1).raw.status().hardState.term;
    c.isolate(3);
    c.tick(100);
    expect(c.node(3).raw.status().hardState.term).toBe(term);
    c.heal();
    c.tick(5);
    expect(c.leaders()).toEqual([1]);
    for (const n of c.nodes.values()) expect(n.raw.status().hardState.term).toBe(term);
  });

  it('without PreVote the same partitioned node does raise its term (contrast)', () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.campaign(1);
    const term = c.node(1).raw.status().hardState.term;
    c.isolate(3);
    c.tick(100);
    expect(c.node(3).raw.status().hardState.term).toBeGreaterThan(term);
  });

  it('CheckQuorum: a leader that hears from no quorum within an election timeout steps down', () => {
    const c = new Cluster([1, 2, 3], { electionTicks: 10 });
    c.campaign(1);
    c.isolate(1);
    c.tick(9, [1]);
    expect(c.node(1).raw.status().softState.role).toBe('leader');
    c.tick(12, [1]);
    expect(c.node(1).raw.status().softState.role).toBe('follower');
    // Meanwhile the majority elects a new leader.
    c.tick(30, [2, 3]);
    expect(c.leaders().filter((id) => id !== 1)).toHaveLength(1);
  });

  it('leader lease: a voter that heard from the leader recently ignores vote requests, unless transfer', () => {
    const raw = newNode(2);
    raw.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, context: '' });
    sent(raw);
    raw.step({
      type: 'vote',
      from: 3,
      to: 2,
      term: 2,
      lastLogIndex: 5,
      lastLogTerm: 1,
      transfer: false,
    });
    expect(raw.status().hardState.term).toBe(1);
    expect(sent(raw)).toEqual([]);
    raw.step({ type: 'preVote', from: 3, to: 2, term: 2, lastLogIndex: 5, lastLogTerm: 1 });
    expect(sent(raw)).toEqual([]);
    raw.step({
      type: 'vote',
      from: 3,
      to: 2,
      term: 2,
      lastLogIndex: 5,
      lastLogTerm: 1,
      transfer: true,
    });
    expect(raw.status().hardState).toMatchObject({ term: 2, vote: 3 });
    // After an election timeout of silence the lease is over.
    const other = newNode(2);
    other.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, context: '' });
    for (let i = 0; i < 10; i++) other.tick();
    sent(other);
    other.step({
      type: 'vote',
      from: 3,
      to: 2,
      term: 2,
      lastLogIndex: 5,
      lastLogTerm: 1,
      transfer: false,
    });
    expect(other.status().hardState).toMatchObject({ term: 2, vote: 3 });
  });

  it('leaseGuardAtRestart: a restarted voter refuses (pre-)votes for an election timeout, then votes again', () => {
    // Term 1 on disk: it may have acknowledged a leader of term 1 just before it went down.
    const raw = newNode(2, { term: 1, electionTicks: 10, leaseGuardAtRestart: true });
    const preVote = {
      type: 'preVote',
      from: 3,
      to: 2,
      term: 2,
      lastLogIndex: 5,
      lastLogTerm: 1,
    } as const;
    const vote = {
      type: 'vote',
      from: 3,
      to: 2,
      term: 2,
      lastLogIndex: 5,
      lastLogTerm: 1,
      transfer: false,
    } as const;
    for (let t = 0; t < 9; t++) raw.tick();
    raw.step(preVote);
    raw.step(vote);
    expect(sent(raw)).toEqual([]);
    expect(raw.status().hardState).toMatchObject({ term: 1, vote: 0 });
    raw.tick(); // the tenth tick: an election timeout since the start
    raw.step(preVote);
    expect(ofType(sent(raw), 'preVoteResp')).toMatchObject([{ to: 3, reject: false }]);
    raw.step(vote);
    expect(raw.status().hardState).toMatchObject({ term: 2, vote: 3 });
    expect(ofType(sent(raw), 'voteResp')).toMatchObject([{ to: 3, reject: false }]);
  });

  it('leaseGuardAtRestart: a brand-new member (term 0) has promised nothing and votes at once; off by default', () => {
    const fresh = newNode(2, { leaseGuardAtRestart: true });
    fresh.step({
      type: 'vote',
      from: 3,
      to: 2,
      term: 1,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: false,
    });
    expect(fresh.status().hardState).toMatchObject({ term: 1, vote: 3 });
    const unguarded = newNode(2, { term: 1 });
    unguarded.step({
      type: 'vote',
      from: 3,
      to: 2,
      term: 2,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: false,
    });
    expect(unguarded.status().hardState).toMatchObject({ term: 2, vote: 3 });
  });

  it('leaseGuardAtRestart: a transfer vote (the leader itself handed over) is not refused', () => {
    const raw = newNode(2, { term: 1, leaseGuardAtRestart: true });
    raw.step({
      type: 'vote',
      from: 3,
      to: 2,
      term: 2,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: true,
    });
    expect(raw.status().hardState).toMatchObject({ term: 2, vote: 3 });
  });

  it('leaseGuardAtRestart: a brand-new cluster elects exactly as fast as without it; a restarted one soon after the guard', () => {
    const ticksToLeader = (c: Cluster, only?: NodeId[]): number => {
      let ticks = 0;
      while (c.leaders().length === 0 && ticks < 200) {
        c.tick(1, only);
        ticks++;
      }
      return ticks;
    };
    for (let seed = 1; seed <= 20; seed++) {
      const plain = new Cluster([1, 2, 3], { seed, electionTicks: 10 });
      const guarded = new Cluster([1, 2, 3], {
        seed,
        electionTicks: 10,
        leaseGuardAtRestart: true,
      });
      // All members start fresh (term 0): the guard is not armed, the same seed gives the same election.
      const fresh = ticksToLeader(guarded);
      expect(fresh).toBe(ticksToLeader(plain));
      expect(fresh).toBeLessThan(100);
      // The whole cluster restarts, node 3 five ticks after the others.
      for (const n of guarded.nodes.values()) n.restart();
      guarded.tick(5, [1, 2]);
      guarded.node(3).restart();
      const restarted = 5 + ticksToLeader(guarded);
      expect(restarted).toBeGreaterThanOrEqual(10); // nobody is elected while the guards run
      expect(restarted).toBeLessThan(5 + 2 * 2 * 10 + fresh);
    }
  });

  it('leaseGuardAtRestart: a restarted single-voter cluster elects itself at once', () => {
    const raw = newNode(1, { voters: [1], term: 3, leaseGuardAtRestart: true });
    raw.campaign();
    expect(raw.status().softState.role).toBe('leader');
  });

  it('a single-voter cluster elects itself at once', () => {
    const raw = newNode(1, { voters: [1] });
    raw.campaign();
    expect(raw.status().softState.role).toBe('leader');
  });

  it('a candidate that loses (quorum rejects) returns to follower', () => {
    const raw = newNode(1, { preVote: false });
    raw.campaign();
    sent(raw);
    raw.step({ type: 'voteResp', from: 2, to: 1, term: 1, reject: true });
    expect(raw.status().softState.role).toBe('candidate');
    raw.step({ type: 'voteResp', from: 3, to: 1, term: 1, reject: true });
    expect(raw.status().softState.role).toBe('follower');
  });

  it('proposals on a follower or candidate return NotLeaderError naming the leader if known', () => {
    const raw = newNode(2);
    const r1 = raw.propose(new Uint8Array([1]));
    expect(r1.ok).toBe(false);
    if (!r1.ok) {
      expect(r1.error).toBeInstanceOf(NotLeaderError);
      expect((r1.error as NotLeaderError).leader).toBe(0);
    }
    raw.step({ type: 'heartbeat', from: 3, to: 2, term: 1, commit: 0, context: '' });
    const r2 = raw.propose(new Uint8Array([1]));
    expect(!r2.ok && r2.error instanceof NotLeaderError && r2.error.leader === 3).toBe(true);
    expect(!r2.ok && r2.error.message).toContain('node 3');
    const cand = newNode(1, { preVote: false });
    cand.campaign();
    const r3 = cand.proposeConfChange({ changes: [{ op: 'addLearner', nodeId: 9 }] });
    expect(!r3.ok && r3.error instanceof NotLeaderError).toBe(true);
  });

  it('a single-voter leader with learners sends its first appends only after its new term is durable', () => {
    const raw = newNode(1, { voters: [1], learners: [2, 3] });
    raw.campaign();
    expect(raw.status().softState.role).toBe('leader');
    const rd = raw.ready();
    // The Ready that makes the new term durable must not let the no-op out before the write.
    expect(rd.hardState?.term).toBe(1);
    expect(rd.mustSync).toBe(true);
    expect(rd.earlyMessages).toEqual([]);
    expect(ofType(rd.messages, 'append').map((m) => [m.to, m.term, m.entries.length])).toEqual([
      [2, 1, 1],
      [3, 1, 1],
    ]);
    raw.advance(rd);
    raw.step(appendResp(2, 1, 1, 1));
    raw.step(appendResp(3, 1, 1, 1));
    while (raw.hasReady()) cycle(raw);
    // Once the term is durable, appends go out early again.
    expect(raw.propose(new Uint8Array([1])).ok).toBe(true);
    const next = raw.ready();
    expect(next.hardState?.term ?? 1).toBe(1);
    expect(ofType(next.earlyMessages, 'append').map((m) => m.to)).toEqual([2, 3]);
    raw.advance(next);
  });

  it('a node with a committed but unapplied conf change does not campaign until it has applied it', () => {
    // Entry 2 removes node 1 itself; it is committed but not yet applied, so node 1's view of the voters is stale.
    const raw = new RawNode({
      id: 1,
      rng: seededRng(1),
      preVote: false,
      initial: {
        hardState: { term: 1, vote: 0, commit: 2 },
        confState: { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] },
        entries: [
          { type: 'normal', term: 1, index: 1, data: new Uint8Array(0) },
          {
            type: 'confChange',
            term: 1,
            index: 2,
            change: { changes: [{ op: 'removeNode', nodeId: 1 }] },
          },
        ],
      },
    });
    raw.campaign();
    for (let t = 0; t < 40; t++) raw.tick();
    expect(raw.status().softState.role).toBe('follower');
    expect(raw.status().hardState.term).toBe(1);
    // Applying it shows node 1 is no longer a voter: it must never campaign.
    while (raw.hasReady()) cycle(raw);
    expect(raw.status().confState.voters).toEqual([2, 3]);
    raw.campaign();
    expect(raw.status().softState.role).toBe('follower');
  });

  it('rejects a bad config with a ConfigError', () => {
    const initial = {
      hardState: { term: 0, vote: 0, commit: 0 },
      confState: { voters: [1], votersOutgoing: [], learners: [], learnersNext: [] },
      entries: [],
    };
    expect(
      () =>
        new RawNode({
          id: 1,
          rng: seededRng(1),
          readOnly: 'leaseBased',
          checkQuorum: false,
          initial,
        }),
    ).toThrow(ConfigError);
    expect(
      () =>
        new RawNode({ id: 1, rng: seededRng(1), heartbeatTicks: 10, electionTicks: 10, initial }),
    ).toThrow(ConfigError);
    expect(
      () =>
        new RawNode({
          id: 1,
          rng: seededRng(1),
          initial: { ...initial, hardState: { term: 1, vote: 0, commit: 3 } },
        }),
    ).toThrow(ConfigError);
  });
});
