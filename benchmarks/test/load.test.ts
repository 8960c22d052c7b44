import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoadSpecError, runLoad } from '../suite/load.js';

const slowOp = (ms: number) => () => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('runLoad (on fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closed loop: each client waits for its answer, latency is the service time', async () => {
    const done = runLoad({ clients: 2, total: 6, op: slowOp(25) });
    await vi.advanceTimersByTimeAsync(200);
    const r = await done;
    expect(r.ok).toBe(6);
    expect(r.histogram.summary().max).toBe(25);
    expect(r.elapsedMs).toBe(75);
  });

  it('open loop: latency counts from the intended send time, so a backlog shows as queueing', async () => {
    // Due every 10 ms; each request takes 25 ms on one client: 25, 40, 55, 70 ms from the intended times.
    const done = runLoad({ clients: 1, total: 4, rate: 100, op: slowOp(25) });
    await vi.advanceTimersByTimeAsync(200);
    const r = await done;
    const s = r.histogram.summary();
    expect(s.min).toBe(25);
    expect(s.max).toBe(70);
    expect(s.count).toBe(4);
  });

  it('open loop does not send before a request is due', async () => {
    const sentAt: number[] = [];
    const done = runLoad({
      clients: 8,
      total: 5,
      rate: 50,
      op: async () => sentAt.push(performance.now()),
    });
    await vi.advanceTimersByTimeAsync(200);
    await done;
    expect(sentAt.map(Math.round)).toEqual([0, 20, 40, 60, 80]);
  });

  it('a duration bounds the run and failures are counted with samples, not recorded as latencies', async () => {
    let i = 0;
    const done = runLoad({
      clients: 1,
      durationMs: 100,
      op: async () => {
        await new Promise((r) => setTimeout(r, 10));
        if (i++ % 2) throw new Error('boom');
      },
    });
    await vi.advanceTimersByTimeAsync(200);
    const r = await done;
    expect(r.ok + r.errors).toBe(10);
    expect(r.errors).toBe(5);
    expect(r.histogram.count).toBe(5);
    expect(r.errorSamples).toEqual(['Error: boom']);
  });

  it('refuses a load without a bound or without clients', async () => {
    await expect(runLoad({ clients: 1, op: async () => undefined })).rejects.toThrow(LoadSpecError);
    await expect(runLoad({ clients: 0, total: 1, op: async () => undefined })).rejects.toThrow(
      /clients must be a positive integer/,
    );
  });
});
