// The list-append checker's teeth on synthetic histories: each anomaly class
// it claims to find is found, and a serial history passes.
import { describe, expect, it } from 'vitest';
import {
  checkAppend,
  type AppendTxn,
  type MicroOp,
} from '../../jepsen/src/workloads/append-check.js';

let nextId = 0;
function txn(
  invokeMs: number,
  completeMs: number,
  mops: MicroOp[],
  outcome: AppendTxn['outcome'] = 'ok',
): AppendTxn {
  return { id: nextId++, lane: 'c', invokeMs, completeMs, outcome, mops };
}
const r = (k: string, v: string[]): MicroOp => ({ f: 'r', k, v });
const a = (k: string, v: string): MicroOp => ({ f: 'append', k, v });

describe('list-append checker', () => {
  it('accepts a serial history whose reads see every earlier append', () => {
    const h = [
      txn(0, 1, [a('x', '1')]),
      txn(2, 3, [r('x', ['1']), a('x', '2')]),
      txn(4, 5, [r('x', ['1', '2'])]),
    ];
    expect(checkAppend(h, new Map([['x', ['1', '2']]])).anomalies).toEqual([]);
  });

  it('finds a stale read as a cycle of real-time and anti-dependency edges', () => {
    const h = [txn(0, 1, [a('x', '1')]), txn(2, 3, [r('x', [])])];
    const res = checkAppend(h, new Map([['x', ['1']]]));
    expect(res.cycles).toBe(1);
    expect(res.anomalies.join()).toMatch(/cycle.*real time/);
  });

  it('finds write skew between concurrent transactions (G2)', () => {
    const h = [txn(0, 10, [r('x', []), a('y', '1')]), txn(0, 10, [r('y', []), a('x', '2')])];
    const res = checkAppend(
      h,
      new Map([
        ['x', ['2']],
        ['y', ['1']],
      ]),
    );
    expect(res.anomalies.join()).toMatch(/G2/);
  });

  it('finds circular information flow (G1c)', () => {
    const h = [txn(0, 10, [a('x', '1'), r('y', ['2'])]), txn(0, 10, [a('y', '2'), r('x', ['1'])])];
    expect(
      checkAppend(
        h,
        new Map([
          ['x', ['1']],
          ['y', ['2']],
        ]),
      ).anomalies.join(),
    ).toMatch(/G1c/);
  });

  it('reports lost acknowledged appends, visible failed appends, reads that are not prefixes, and partial unknown transactions', () => {
    const h = [
      txn(0, 1, [a('x', '1')]),
      txn(2, 3, [a('x', '2')], 'fail'),
      txn(4, 5, [r('x', ['9'])]),
      txn(6, Infinity, [a('y', '3'), a('y', '4')], 'unknown'),
    ];
    const text = checkAppend(
      h,
      new Map([
        ['x', ['2']],
        ['y', ['3']],
      ]),
    ).anomalies.join('\n');
    expect(text).toMatch(/lost: .* append of 1/);
    expect(text).toMatch(/aborted write visible/);
    expect(text).toMatch(/not a prefix/);
    expect(text).toMatch(/only in part/);
  });

  it('treats an unknown transaction whose append is visible as committed, and one whose append is not as never applied', () => {
    const h = [
      txn(0, Infinity, [a('x', '1')], 'unknown'),
      txn(0, Infinity, [a('x', '2')], 'unknown'),
      txn(5, 6, [r('x', ['1'])]),
    ];
    const res = checkAppend(h, new Map([['x', ['1']]]));
    expect(res.anomalies).toEqual([]);
    expect(res.committed).toBe(2);
  });
});
