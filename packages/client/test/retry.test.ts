// The retry policy and the exactly-once lanes, on injected time.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffMs, withRetry, type RetryOptions } from '../src/retry.js';
import { Lanes } from '../src/lanes.js';

const options: RetryOptions = { attemptsMax: 5, backoffInitialMs: 10, backoffMaxMs: 50 };

describe('back-off', () => {
  it('waits nothing before the first attempt and at most min(max, initial·2^(n-2)) before attempt n', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, r) => {
          const ms = backoffMs(options, attempt, () => r);
          const cap = attempt === 1 ? 0 : Math.min(50, 10 * 2 ** (attempt - 2));
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });

  it('stops after attemptsMax attempts and reports the last error through `exhausted`', async () => {
    const waits: number[] = [];
    let calls = 0;
    const err = await withRetry(
      options,
      { sleep: async (ms) => void waits.push(ms), random: () => 0.999 },
      async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
      () => 'retry',
      (last, attempts) => new Error(`gave up after ${attempts}: ${(last as Error).message}`),
    ).catch((e: Error) => e);
    expect(calls).toBe(5);
    expect((err as Error).message).toBe('gave up after 5: boom 5');
    expect(waits).toEqual([9, 19, 39, 49]);
  });

  it('a failure classified as final is thrown at once', async () => {
    let calls = 0;
    const final = new Error('final');
    await expect(
      withRetry(
        options,
        { sleep: async () => undefined, random: () => 0 },
        async () => {
          calls++;
          throw final;
        },
        () => 'fail',
        () => new Error('exhausted'),
      ),
    ).rejects.toBe(final);
    expect(calls).toBe(1);
  });
});

describe('exactly-once lanes', () => {
  it('each lane hands out growing seqs (from 2: seq 1 is its register), and a write waits while every lane is busy', async () => {
    const lanes = new Lanes('c', 2);
    const a = await lanes.acquire();
    const b = await lanes.acquire();
    expect([a.clientId, a.seq, a.register, b.clientId, b.seq, b.register]).toEqual([
      'c.0',
      2,
      true,
      'c.1',
      2,
      true,
    ]);
    let third: { clientId: string; seq: number; register: boolean } | undefined;
    const waiting = lanes.acquire().then((t) => (third = t));
    await Promise.resolve();
    expect(third).toBeUndefined();
    b.release();
    b.release(); // releasing twice must not free the lane twice
    await waiting;
    expect(third).toMatchObject({ clientId: 'c.1', seq: 3, register: false });
    const fourth = lanes.acquire();
    let got = false;
    void fourth.then(() => (got = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(got).toBe(false);
  });

  it('after renew() a lane takes the new id and registers it again; a ticket in flight keeps its own', async () => {
    const lanes = new Lanes('c', 1);
    const held = await lanes.acquire();
    lanes.renew('d');
    held.release();
    const next = await lanes.acquire();
    expect([held.clientId, next.clientId, next.seq, next.register]).toEqual([
      'c.0',
      'd.0',
      2,
      true,
    ]);
  });
});
