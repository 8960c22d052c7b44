// writeMarker: the watch workload's base and end writes survive lost answers
// (over gRPC the client never repeats a write), and give up after a bound.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MARKER_WRITE_ATTEMPTS, writeMarker } from '../src/workloads/workload.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('writeMarker', () => {
  it('repeats a write whose outcome was unknown until one is acknowledged', async () => {
    let calls = 0;
    const write = async (): Promise<number> => {
      calls++;
      if (calls < 3) throw new Error('UnknownOutcomeError: the outcome of put is unknown');
      return 42;
    };
    const done = writeMarker(write);
    await vi.runAllTimersAsync();
    await expect(done).resolves.toBe(42);
    expect(calls).toBe(3);
  });

  it('throws the last error after the bounded attempts', async () => {
    let calls = 0;
    const done = writeMarker(async () => {
      calls++;
      throw new Error(`lost ${calls}`);
    });
    const settled = done.catch((err: Error) => err.message);
    await vi.runAllTimersAsync();
    expect(await settled).toBe(`lost ${MARKER_WRITE_ATTEMPTS}`);
    expect(calls).toBe(MARKER_WRITE_ATTEMPTS);
  });
});
