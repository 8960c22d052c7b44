import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRng } from '@flotilla/raft';
import { backoffDelayMs } from '../src/backoff.js';
import { SendQueue } from '../src/send-queue.js';

const frame = (bytes: number, count = 1) => ({ payload: new Uint8Array(bytes), count });

describe('SendQueue', () => {
  it('drops oldest first when over the message bound, and keeps the newest in order', () => {
    const q = new SendQueue(3, 1000);
    const dropped = [1, 2, 3, 4, 5].map(
      (i) => q.push({ payload: new Uint8Array([i]), count: 1 }).droppedMessages,
    );
    expect(dropped).toEqual([0, 0, 0, 1, 1]);
    expect([q.shift(), q.shift(), q.shift()].map((f) => f!.payload[0])).toEqual([3, 4, 5]);
    expect(q.shift()).toBeUndefined();
  });

  it('drops oldest first when over the byte bound; refuses a frame larger than the bound on its own without evicting', () => {
    const q = new SendQueue(100, 100);
    q.push(frame(40, 2));
    q.push(frame(40, 3));
    expect(q.push(frame(40, 1)).droppedMessages).toBe(2);
    expect(q.push(frame(101, 4)).droppedMessages).toBe(4);
    expect(q.messages).toBe(4);
    expect(q.bytes).toBe(80);
    expect(q.clear()).toBe(4);
    expect(q.frames).toBe(0);
  });

  it('never exceeds its bounds and accounts for every message, whatever is pushed and shifted', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              bytes: fc.integer({ min: 1, max: 300 }),
              count: fc.integer({ min: 1, max: 20 }),
            }),
            fc.constant(null),
          ),
          { maxLength: 300 },
        ),
        (ops) => {
          const q = new SendQueue(50, 1000);
          let pushed = 0;
          let dropped = 0;
          let shifted = 0;
          for (const op of ops) {
            if (op === null) shifted += q.shift()?.count ?? 0;
            else {
              pushed += op.count;
              dropped += q.push(frame(op.bytes, op.count)).droppedMessages;
            }
            expect(q.messages).toBeLessThanOrEqual(50);
            expect(q.bytes).toBeLessThanOrEqual(1000);
          }
          expect(pushed).toBe(dropped + shifted + q.messages);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('backoffDelayMs', () => {
  it('doubles per attempt up to the cap, jittered within the upper half', () => {
    const rng = seededRng(1);
    const opts = { baseMs: 10, maxMs: 1000 };
    for (let attempt = 0; attempt < 40; attempt++) {
      const ceiling = Math.min(1000, 10 * 2 ** attempt);
      for (let i = 0; i < 20; i++) {
        const d = backoffDelayMs(attempt, opts, rng);
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThan(ceiling);
      }
    }
    const spread = new Set(
      Array.from({ length: 50 }, () => Math.round(backoffDelayMs(3, opts, rng))),
    );
    expect(spread.size).toBeGreaterThan(10);
  });
});
