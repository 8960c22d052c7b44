import { describe, expect, it } from 'vitest';
import {
  HistoryFullError,
  HistoryRecorder,
  ProcessBusyError,
  UnknownOperationError,
} from '../src/cluster.js';

function recorder(opsMax?: number) {
  let t = 0;
  const rec = new HistoryRecorder({ now: () => t, ...(opsMax === undefined ? {} : { opsMax }) });
  return { rec, at: (ms: number) => (t = ms) };
}

describe('history recorder', () => {
  it('records invoke and completion times and the result', () => {
    const { rec, at } = recorder();
    at(10);
    const a = rec.invoke(1, { op: 'write', key: 'k', value: 'x' });
    at(15);
    rec.ok(a, { revision: 2 });
    expect(rec.history()).toEqual([
      {
        id: a,
        process: 1,
        op: 'write',
        key: 'k',
        value: 'x',
        invokeTime: 10,
        completeTime: 15,
        outcome: 'ok',
        result: { revision: 2 },
      },
    ]);
  });

  it('refuses a second operation on a process that has one open', () => {
    const { rec } = recorder();
    rec.invoke(1, { op: 'read', key: 'k' });
    expect(() => rec.invoke(1, { op: 'read', key: 'k' })).toThrow(ProcessBusyError);
  });

  it('keeps an unknown operation open forever and retires its process', () => {
    const { rec, at } = recorder();
    const a = rec.invoke(1, { op: 'write', key: 'k', value: 'x' });
    at(100);
    rec.unknown(a, 'timed out');
    expect(rec.history()[0]).toMatchObject({
      outcome: 'unknown',
      completeTime: Infinity,
      error: 'timed out',
    });
    expect(rec.isIdle(1)).toBe(false);
    expect(() => rec.invoke(1, { op: 'read', key: 'k' })).toThrow(ProcessBusyError);
  });

  it('reports operations still open at the end as unknown', () => {
    const { rec } = recorder();
    rec.invoke(1, { op: 'read', key: 'k' });
    const b = rec.invoke(2, { op: 'read', key: 'k' });
    rec.fail(b, 'not leader');
    const h = rec.history();
    expect(h.map((o) => o.outcome)).toEqual(['unknown', 'fail']);
    expect(rec.openCount).toBe(1);
  });

  it('refuses completing an operation twice or one never invoked', () => {
    const { rec } = recorder();
    const a = rec.invoke(1, { op: 'read', key: 'k' });
    rec.ok(a, { value: null });
    expect(() => rec.ok(a, { value: null })).toThrow(UnknownOperationError);
    expect(() => rec.fail(99, 'x')).toThrow(/never invoked/);
  });

  it('orders events recorded at the same clock reading in recording order', () => {
    const { rec, at } = recorder();
    at(10);
    const a = rec.invoke(1, { op: 'write', key: 'k', value: 'x' });
    at(20);
    rec.ok(a, {});
    const b = rec.invoke(2, { op: 'read', key: 'k' });
    rec.ok(b, { value: 'x' });
    const [w, r] = rec.history();
    expect(w!.completeTime).toBe(20);
    expect(r!.invokeTime).toBeGreaterThan(20);
    expect(r!.completeTime).toBeGreaterThan(r!.invokeTime);
    expect(r!.completeTime).toBeLessThan(20.001);
  });

  it('bounds the number of operations it holds', () => {
    const { rec } = recorder(2);
    rec.ok(rec.invoke(1, { op: 'read', key: 'k' }), { value: null });
    rec.invoke(2, { op: 'read', key: 'k' });
    expect(() => rec.invoke(3, { op: 'read', key: 'k' })).toThrow(HistoryFullError);
  });
});
