import { describe, expect, it } from 'vitest';
import { ProposalDroppedError, ReadIndexRefusedError } from '@flotilla/raft';
import { bytes } from './harness.js';
import { appendResp, cycle, elect, newNode } from './util.js';

// The leader's limits count exactly what is still pending: uncommitted bytes
// of its own term (maxUncommittedBytes) and reads not yet answered
// (maxPendingReads). Counting too much starves clients; counting too little
// lets a slow quorum grow the leader's memory without bound.

describe('maxUncommittedBytes after a partial commit', () => {
  it('frees exactly the committed entries of this term, not those of earlier terms', () => {
    // Entries 1 and 2 (18 bytes each) are from term 1 and were never counted in this term.
    const l = newNode(1, { logTerms: [1, 1], term: 1, maxUncommittedBytes: 100 });
    elect(l, [2, 3]);
    const { term } = l.status().hardState;
    // No-op 3 (16 bytes) + A at 4 (26) + B at 5 (36) = 78 bytes uncommitted.
    expect(l.propose(new Uint8Array(10))).toMatchObject({ ok: true, index: 4 });
    expect(l.propose(new Uint8Array(20))).toMatchObject({ ok: true, index: 5 });
    cycle(l);
    // Node 2 acknowledges up to A: 1..4 commit, B's 36 bytes stay uncommitted.
    l.step(appendResp(2, 1, term, 4));
    expect(l.status().hardState.commit).toBe(4);
    const refused = l.propose(new Uint8Array(60)); // 76 bytes: 36 + 76 > 100
    expect(!refused.ok && refused.error).toBeInstanceOf(ProposalDroppedError);
    expect(!refused.ok && (refused.error as ProposalDroppedError).reason).toBe('uncommittedLimit');
    // B commits too: nothing is uncommitted, the same proposal fits.
    l.step(appendResp(2, 1, term, 5));
    expect(l.status().hardState.commit).toBe(5);
    expect(l.propose(new Uint8Array(60))).toMatchObject({ ok: true, index: 6 });
  });
});

describe('maxPendingReads across the first commit of a term', () => {
  it('reads held until the term’s first commit stop counting once they are answered', () => {
    const l = newNode(1, { checkQuorum: true, readOnly: 'leaseBased', maxPendingReads: 1 });
    elect(l, [2, 3]);
    const { term } = l.status().hardState;
    // The no-op is not committed yet: the read waits, and fills the limit.
    expect(l.readIndex('a').ok).toBe(true);
    const full = l.readIndex('b');
    expect(!full.ok && full.error).toBeInstanceOf(ReadIndexRefusedError);
    l.step(appendResp(2, 1, term, 1));
    expect(cycle(l).readStates).toEqual([{ index: 1, context: 'a' }]);
    // Nothing is pending any more: the next read is taken and answered at once,
    // and a later commit answers nothing else.
    expect(l.readIndex('c').ok).toBe(true);
    l.propose(bytes('x'));
    const rd = cycle(l);
    l.step(appendResp(2, 1, term, 2));
    const after = cycle(l);
    expect([...rd.readStates, ...after.readStates]).toEqual([{ index: 1, context: 'c' }]);
    expect([...rd.messages, ...after.messages].filter((m) => m.type === 'readIndexResp')).toEqual(
      [],
    );
  });
});
