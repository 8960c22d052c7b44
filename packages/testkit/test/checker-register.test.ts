import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  formatCheckResult,
  registerModel,
  type CasExpectation,
  type RegisterOp,
  type RegisterResult,
} from '../src/cluster.js';

// Builders for synthetic register histories.

let nextId = 0;

function base(
  process: number,
  invokeTime: number,
  completeTime: number,
  outcome: RegisterOp['outcome'],
) {
  return {
    id: nextId++,
    process,
    invokeTime,
    completeTime: outcome === 'unknown' ? Infinity : completeTime,
    outcome,
  };
}

function read(
  key: string,
  value: string | null,
  [t0, t1]: [number, number],
  extra: RegisterResult = {},
  process = 0,
): RegisterOp {
  return { ...base(process, t0, t1, 'ok'), op: 'read', key, result: { value, ...extra } };
}

function write(
  key: string,
  value: string,
  [t0, t1]: [number, number],
  outcome: RegisterOp['outcome'] = 'ok',
  revision?: number,
  process = 0,
): RegisterOp {
  const result = outcome === 'ok' ? { result: revision === undefined ? {} : { revision } } : {};
  return { ...base(process, t0, t1, outcome), op: 'write', key, value, ...result };
}

function cas(
  key: string,
  expected: CasExpectation,
  value: string,
  [t0, t1]: [number, number],
  succeeded: boolean | 'unknown',
  revision?: number,
  process = 0,
): RegisterOp {
  if (succeeded === 'unknown')
    return { ...base(process, t0, t1, 'unknown'), op: 'cas', key, expected, value };
  const result: RegisterResult = revision === undefined ? { succeeded } : { succeeded, revision };
  return { ...base(process, t0, t1, 'ok'), op: 'cas', key, expected, value, result };
}

const check = (h: RegisterOp[]) => checkLinearizable(registerModel, h);

describe('register checker: histories that are linearizable', () => {
  it('accepts a sequential write then read of the written value', () => {
    expect(check([write('k', 'a', [0, 1]), read('k', 'a', [2, 3])]).verdict).toBe('ok');
  });

  it('accepts a read of the initial absent value before any write', () => {
    expect(check([read('k', null, [0, 1]), write('k', 'a', [2, 3])]).verdict).toBe('ok');
  });

  it('accepts reads of old then new value while a write is in flight', () => {
    const h = [write('k', 'a', [0, 10]), read('k', null, [1, 2]), read('k', 'a', [3, 4])];
    expect(check(h).verdict).toBe('ok');
  });

  it('treats operations that touch at the same instant as concurrent', () => {
    // The read is invoked exactly when the write completes: both orders are allowed.
    expect(check([write('k', 'a', [0, 5]), read('k', null, [5, 6])]).verdict).toBe('ok');
  });

  it('accepts a chain of compare-and-sets on value', () => {
    const h = [
      cas('k', { value: null }, 'a', [0, 1], true),
      cas('k', { value: null }, 'b', [2, 3], false),
      cas('k', { value: 'a' }, 'c', [4, 5], true),
      read('k', 'c', [6, 7]),
    ];
    expect(check(h).verdict).toBe('ok');
  });

  it('orders two concurrent cas so that exactly one of them wins', () => {
    const h = [
      cas('k', { value: null }, 'a', [0, 10], true),
      cas('k', { value: null }, 'b', [1, 9], false),
      read('k', 'a', [11, 12]),
    ];
    expect(check(h).verdict).toBe('ok');
  });
});

describe('register checker: histories that are not linearizable', () => {
  it('finds a stale read after a completed write', () => {
    const h = [write('k', 'a', [0, 1]), read('k', null, [2, 3])];
    const r = check(h);
    expect(r.verdict).toBe('violation');
    expect(r.violations[0]?.partition).toBe('k');
    expect(r.violations[0]?.culpritOpId).toBe(h[1]?.id);
  });

  it('finds a lost write: a read returns an overwritten value', () => {
    const h = [write('k', 'a', [0, 1]), write('k', 'b', [2, 3]), read('k', 'a', [4, 5])];
    expect(check(h).verdict).toBe('violation');
  });

  it('finds a value that goes back in time between two reads', () => {
    const h = [write('k', 'a', [0, 10]), read('k', 'a', [1, 2]), read('k', null, [3, 4])];
    expect(check(h).verdict).toBe('violation');
  });

  it('finds a read of a value nobody wrote', () => {
    expect(check([write('k', 'a', [0, 1]), read('k', 'z', [2, 3])]).verdict).toBe('violation');
  });

  it('finds two sequential cas that both succeed on the same expected value', () => {
    const h = [
      cas('k', { value: null }, 'a', [0, 1], true),
      cas('k', { value: null }, 'b', [2, 3], true),
    ];
    expect(check(h).verdict).toBe('violation');
  });

  it('finds two concurrent cas that both succeed on the same expected value', () => {
    const h = [
      cas('k', { value: null }, 'a', [0, 10], true),
      cas('k', { value: null }, 'b', [1, 9], true),
    ];
    expect(check(h).verdict).toBe('violation');
  });

  it('finds a cas that reports failure although its compare held', () => {
    const h = [write('k', 'a', [0, 1]), cas('k', { value: 'a' }, 'b', [2, 3], false)];
    expect(check(h).verdict).toBe('violation');
  });
});

describe('register checker: unknown and failed outcomes', () => {
  it('assumes an unknown write applied when a later read sees it', () => {
    expect(check([write('k', 'a', [0, 1], 'unknown'), read('k', 'a', [5, 6])]).verdict).toBe('ok');
  });

  it('lets an unknown write take effect late, after reads that missed it', () => {
    const h = [write('k', 'a', [0, 1], 'unknown'), read('k', null, [5, 6]), read('k', 'a', [7, 8])];
    expect(check(h).verdict).toBe('ok');
  });

  it('does not let an unknown write be undone', () => {
    const h = [write('k', 'a', [0, 1], 'unknown'), read('k', 'a', [5, 6]), read('k', null, [7, 8])];
    expect(check(h).verdict).toBe('violation');
  });

  it('does not require an unknown write to have happened', () => {
    const h = [
      write('k', 'a', [0, 1], 'unknown'),
      read('k', null, [5, 6]),
      read('k', null, [100, 101]),
    ];
    expect(check(h).verdict).toBe('ok');
  });

  it('never assumes a failed write applied', () => {
    expect(check([write('k', 'a', [0, 1], 'fail'), read('k', 'a', [5, 6])]).verdict).toBe(
      'violation',
    );
  });

  it('lets an unknown cas take effect only if its compare could hold', () => {
    const applied = [cas('k', { value: null }, 'a', [0, 1], 'unknown'), read('k', 'a', [2, 3])];
    expect(check(applied).verdict).toBe('ok');
    const impossible = [
      write('k', 'x', [0, 1]),
      cas('k', { value: null }, 'a', [2, 3], 'unknown'),
      read('k', 'a', [4, 5]),
    ];
    expect(check(impossible).verdict).toBe('violation');
  });

  it('does not invent a second effect for an unknown write observed once', () => {
    // a, then b overwrites it; a cannot reappear (each unknown op applies at most once).
    const h = [
      write('k', 'a', [0, 1], 'unknown'),
      read('k', 'a', [2, 3]),
      write('k', 'b', [4, 5]),
      read('k', 'a', [6, 7]),
    ];
    expect(check(h).verdict).toBe('violation');
  });
});

describe('register checker: revisions', () => {
  it('accepts a read that reports the modRevision of the write it sees', () => {
    const h = [write('k', 'a', [0, 1], 'ok', 5), read('k', 'a', [2, 3], { modRevision: 5 })];
    expect(check(h).verdict).toBe('ok');
  });

  it('finds a read whose modRevision belongs to no write of that value', () => {
    const h = [write('k', 'a', [0, 1], 'ok', 5), read('k', 'a', [2, 3], { modRevision: 4 })];
    expect(check(h).verdict).toBe('violation');
  });

  it('finds revisions that decrease in real-time order', () => {
    const h = [write('k', 'a', [0, 1], 'ok', 5), write('k', 'b', [2, 3], 'ok', 3)];
    expect(check(h).verdict).toBe('violation');
  });

  it('checks a cas on modRevision against the current revision', () => {
    const good = [
      write('k', 'a', [0, 1], 'ok', 5),
      cas('k', { modRevision: 5 }, 'b', [2, 3], true, 6),
    ];
    expect(check(good).verdict).toBe('ok');
    const bad = [
      write('k', 'a', [0, 1], 'ok', 5),
      cas('k', { modRevision: 4 }, 'b', [2, 3], true, 6),
    ];
    expect(check(bad).verdict).toBe('violation');
  });

  it('binds the unknown revision of an unknown write when a read observes it', () => {
    const ok = [
      write('k', 'a', [0, 1], 'unknown'),
      read('k', 'a', [2, 3], { modRevision: 7 }),
      cas('k', { modRevision: 7 }, 'b', [4, 5], true, 8),
    ];
    expect(check(ok).verdict).toBe('ok');
    const bad = [
      write('k', 'a', [0, 1], 'unknown'),
      read('k', 'a', [2, 3], { modRevision: 7 }),
      cas('k', { modRevision: 6 }, 'b', [4, 5], true, 8),
    ];
    expect(check(bad).verdict).toBe('violation');
  });
});

describe('checker mechanics', () => {
  it('checks keys independently and names the failing key', () => {
    const h = [
      write('x', 'a', [0, 1]),
      read('x', 'a', [2, 3]),
      write('y', 'a', [0, 1]),
      read('y', null, [2, 3]),
    ];
    const r = check(h);
    expect(r.partitions).toBe(2);
    expect(r.violations.map((v) => v.partition)).toEqual(['y']);
  });

  it('shrinks a violation to the shortest failing prefix, ending at the culprit', () => {
    const h: RegisterOp[] = [];
    for (let i = 0; i < 20; i++)
      h.push(
        write('k', `v${i}`, [i * 10, i * 10 + 2]),
        read('k', `v${i}`, [i * 10 + 3, i * 10 + 5]),
      );
    const stale = read('k', 'v3', [205, 206]);
    h.push(stale, write('k', 'after', [210, 211]), read('k', 'after', [212, 213]));
    const r = check(h);
    expect(r.verdict).toBe('violation');
    const v = r.violations[0];
    expect(v?.culpritOpId).toBe(stale.id);
    expect(v?.prefixOpIds).not.toContain(h[h.length - 1]?.id);
    expect(v?.stuckOpIds).toContain(stale.id);
    expect(formatCheckResult(registerModel, h, r)).toContain(`#${stale.id}`);
  });

  it('returns unknown, not a verdict, when the step budget is exhausted', () => {
    // Many concurrent writes and a final impossible read: the search must try
    // many orders before concluding, far more than 50 steps.
    const h: RegisterOp[] = [];
    for (let i = 0; i < 12; i++) h.push(write('k', `v${i}`, [0, 100]));
    h.push(read('k', 'never', [200, 201]));
    const r = checkLinearizable(registerModel, h, { stepsMaxPerPartition: 50 });
    expect(r.verdict).toBe('unknown');
    expect(r.undecided[0]?.reason).toMatch(/budget exhausted/);
  });

  it('decides a wide concurrent history quickly thanks to the memo cache', () => {
    const h: RegisterOp[] = [];
    for (let i = 0; i < 12; i++) h.push(write('k', `v${i}`, [0, 100]));
    h.push(read('k', 'never', [200, 201]));
    const r = checkLinearizable(registerModel, h, {
      stepsMaxPerPartition: 5_000_000,
      minimize: false,
    });
    expect(r.verdict).toBe('violation');
    // Without memoization the search would try all 12! (479 million) orders.
    expect(r.steps).toBeLessThan(1_000_000);
  });
});
