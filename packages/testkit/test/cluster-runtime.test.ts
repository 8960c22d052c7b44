import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@flotilla/transport';
import { PausableClock } from '../src/cluster-sim/pausable-clock.js';
import { SimRuntime } from '../src/cluster-sim/runtime.js';
import { SimulationStuckError } from '../src/cluster-sim/errors.js';
import { faultScheduleArb } from '../src/cluster-sim/schedule.js';

describe('pausable clock', () => {
  it('holds a paused node’s timers and fires them in order on resume', () => {
    const base = new VirtualClock();
    const clock = new PausableClock(base);
    const fired: string[] = [];
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(20, () => fired.push('b'));
    const c = clock.setTimer(30, () => fired.push('c'));
    clock.pause();
    base.advance(40);
    expect(fired).toEqual([]);
    clock.clearTimer(c);
    clock.resume();
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(40);
  });

  it('cancels a timer that has not fired yet', () => {
    const base = new VirtualClock();
    const clock = new PausableClock(base);
    let fired = false;
    clock.clearTimer(clock.setTimer(5, () => (fired = true)));
    base.advance(10);
    expect(fired).toBe(false);
    expect(base.pendingTimers()).toBe(0);
  });
});

describe('simulation runtime', () => {
  it('settles promise chains between clock steps, so async work started by a timer completes at its instant', async () => {
    const rt = new SimRuntime(1);
    const seen: number[] = [];
    rt.clock.setTimer(10, () => {
      void (async () => {
        await Promise.resolve();
        await new Promise<void>((r) => process.nextTick(r));
        seen.push(rt.now);
      })();
    });
    await rt.runUntil(50);
    expect(seen).toEqual([10]);
  });

  it('drives a simulated operation to completion and reports one that never completes', async () => {
    const rt = new SimRuntime(1);
    await expect(
      rt.drive(
        rt.sleep(100).then(() => rt.now),
        1_000,
        'sleep',
      ),
    ).resolves.toBe(100);
    await expect(rt.drive(new Promise(() => undefined), 500, 'forever')).rejects.toBeInstanceOf(
      SimulationStuckError,
    );
    expect(rt.now).toBeGreaterThanOrEqual(600);
  });

  it('gives independent, reproducible random streams per purpose', () => {
    const a = new SimRuntime(7);
    const b = new SimRuntime(7);
    a.rng('clients').next();
    expect(a.rng('network').next()).toBe(b.rng('network').next());
    expect(a.rng('clients').next()).not.toBe(b.rng('clients').next());
  });
});

describe('fault schedules', () => {
  it('are in time order and within the run', () => {
    fc.assert(
      fc.property(faultScheduleArb({ durationMs: 2_000 }), (s) => {
        for (let i = 1; i < s.faults.length; i++)
          expect(s.faults[i]!.atMs).toBeGreaterThanOrEqual(s.faults[i - 1]!.atMs);
        for (const f of s.faults) expect(f.atMs).toBeLessThanOrEqual(2_000);
      }),
      { numRuns: 100 },
    );
  });
});
