import { describe, expect, it } from 'vitest';
import { ProposalDroppedError, TransferRefusedError } from '@flotilla/raft';
import { bytes, Cluster } from './harness.js';

describe('leadership transfer (thesis §3.10)', () => {
  it('the leader catches the target up, sends timeoutNow, and the target wins the next term', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    const term = c.node(1).raw.status().hardState.term;
    c.isolate(3);
    c.propose('a');
    c.propose('b');
    c.heal();
    const before = c.delivered.length;
    expect(c.node(1).raw.transferLeadership(3)).toEqual({ ok: true });
    c.stabilize();
    const after = c.delivered.slice(before);
    const timeoutNow = after.filter((m) => m.type === 'timeoutNow');
    expect(timeoutNow.map((m) => [m.from, m.to])).toEqual([[1, 3]]);
    const votes = after.filter((m) => m.type === 'vote');
    expect(votes.length).toBe(2);
    // The timeoutNow came only after node 3 held everything.
    const tIdx = after.findIndex((m) => m.type === 'timeoutNow');
    expect(
      after.slice(0, tIdx).some((m) => m.type === 'append' && m.to === 3 && m.entries.length === 2),
    ).toBe(true);
    expect(votes.every((m) => m.type === 'vote' && m.transfer)).toBe(true);
    expect(c.leaders()).toEqual([3]);
    expect(c.node(3).raw.status().hardState.term).toBe(term + 1);
    c.propose('c');
    for (const n of c.nodes.values()) expect(n.applied).toEqual(['a', 'b', 'c']);
  });

  it('the leader refuses proposals while transferring', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    c.node(1).raw.transferLeadership(3);
    const r = c.node(1).raw.propose(bytes('x'));
    expect(!r.ok && r.error instanceof ProposalDroppedError && r.error.reason).toBe('transferring');
    expect(c.node(1).raw.status().leadTransferee).toBe(3);
  });

  it('a transfer that does not finish within an election timeout is aborted', () => {
    const c = new Cluster([1, 2, 3], { electionTicks: 10 });
    c.campaign(1);
    c.isolate(3);
    c.node(1).raw.transferLeadership(3);
    c.tick(9, [1]);
    expect(c.node(1).raw.status().leadTransferee).toBe(3);
    c.tick(1, [1]);
    expect(c.node(1).raw.status().leadTransferee).toBe(0);
    expect(c.leaders()).toEqual([1]);
    expect(c.node(1).raw.propose(bytes('ok')).ok).toBe(true);
  });

  it('refuses a transfer to a learner or to a non-member', () => {
    const c = new Cluster([1, 2, 3], { learners: [4] });
    c.campaign(1);
    const toLearner = c.node(1).raw.transferLeadership(4);
    expect(
      !toLearner.ok && toLearner.error instanceof TransferRefusedError && toLearner.error.reason,
    ).toBe('learnerTarget');
    const toStranger = c.node(1).raw.transferLeadership(9);
    expect(
      !toStranger.ok && toStranger.error instanceof TransferRefusedError && toStranger.error.reason,
    ).toBe('unknownTarget');
  });
});
