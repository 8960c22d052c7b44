import { describe, expect, it } from 'vitest';
import { StepRejectedError, type StepResult } from '@flotilla/raft';
import { entriesWithTerms, newNode } from './util.js';

// step() returns whether it acted on a message; a message it did not act on
// comes back as a StepRejectedError whose reason a driver can count (misrouted
// traffic, stale peers) and whose message names the message and why, for the
// operator reading the log. An accepted message is `{ ok: true }`.

function rejection(res: StepResult): StepRejectedError {
  expect(res.ok).toBe(false);
  if (res.ok) throw new Error('unreachable');
  expect(res.error).toBeInstanceOf(StepRejectedError);
  return res.error;
}

describe('step() results', () => {
  it('a message for another node: wrongRecipient, naming the message, its addressee and us', () => {
    const f = newNode(1, { logTerms: [1], term: 1 });
    const e = rejection(
      f.step({ type: 'heartbeat', from: 2, to: 3, term: 1, commit: 0, context: '' }),
    );
    expect(e.reason).toBe('wrongRecipient');
    expect(e.message).toBe(
      'message ignored (wrongRecipient): a heartbeat for node 3 reached node 1',
    );
  });

  it('a message of an older term: staleTerm, naming the sender and both terms', () => {
    const f = newNode(1, { logTerms: [1, 3], term: 3 });
    const e = rejection(
      f.step({
        type: 'append',
        from: 2,
        to: 1,
        term: 2,
        prevIndex: 1,
        prevTerm: 1,
        entries: entriesWithTerms([2], 2),
        commit: 0,
      }),
    );
    expect(e.reason).toBe('staleTerm');
    expect(e.message).toBe('message ignored (staleTerm): append from 2 at term 2 < 3');
  });

  it('a vote request while a live leader holds its lease: leaseHeld, naming the leader', () => {
    const f = newNode(1, { logTerms: [1], term: 1, checkQuorum: true });
    expect(f.step({ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0, context: '' })).toEqual({
      ok: true,
    });
    const e = rejection(
      f.step({ type: 'preVote', from: 3, to: 1, term: 2, lastLogIndex: 1, lastLogTerm: 1 }),
    );
    expect(e.reason).toBe('leaseHeld');
    expect(e.message).toBe(
      'message ignored (leaseHeld): preVote from 3 ignored: leader 2 is alive',
    );
  });

  it('a vote request just after a restart (leaseGuardAtRestart): leaseHeld, saying why', () => {
    const f = newNode(1, { logTerms: [1], term: 1, leaseGuardAtRestart: true });
    const e = rejection(
      f.step({
        type: 'vote',
        from: 3,
        to: 1,
        term: 2,
        lastLogIndex: 1,
        lastLogTerm: 1,
        transfer: false,
      }),
    );
    expect(e.reason).toBe('leaseHeld');
    expect(e.message).toContain('vote from 3 ignored: restarted less than an election timeout ago');
    expect(f.status().hardState).toMatchObject({ term: 1, vote: 0 });
  });

  it('vote requests, granted or refused, are acted on: ok', () => {
    const f = newNode(1, { logTerms: [1, 1], term: 1 });
    const vote = (from: number, lastLogIndex: number) =>
      f.step({
        type: 'vote',
        from,
        to: 1,
        term: 2,
        lastLogIndex,
        lastLogTerm: 1,
        transfer: false,
      });
    expect(vote(2, 2)).toEqual({ ok: true });
    expect(vote(3, 1)).toEqual({ ok: true });
  });
});
