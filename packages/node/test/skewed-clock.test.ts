// The test-only skewed clock behind the fault suite's clock nemesis: rate and
// offset as documented, rate changes from the moment they are made, timers
// scaled by the rate, and time that never goes backwards.
import { VirtualClock } from '@flotilla/transport';
import { describe, expect, it } from 'vitest';
import { NodeOptionsError } from '../src/errors.js';
import { SkewedClock } from '../src/skewed-clock.js';

describe('SkewedClock', () => {
  it('runs at rate times its base, shifted by the offset', () => {
    const base = new VirtualClock();
    const clock = new SkewedClock(base, { rate: 2, offsetMs: 500 });
    const t0 = clock.now();
    base.advance(100);
    expect(clock.now() - t0).toBe(200);
  });

  it('applies a rate change from the moment it is made, without a jump', () => {
    const base = new VirtualClock();
    const clock = new SkewedClock(base, { rate: 1, offsetMs: 0 });
    base.advance(100);
    const before = clock.now();
    clock.set({ rate: 0.5, offsetMs: 0 });
    expect(clock.now()).toBe(before);
    base.advance(100);
    expect(clock.now()).toBe(before + 50);
  });

  it('scales timer delays by the rate: a fast clock fires its timers early in real time', () => {
    const base = new VirtualClock();
    const clock = new SkewedClock(base, { rate: 4, offsetMs: 0 });
    let fired = false;
    clock.setTimer(400, () => (fired = true));
    base.advance(99);
    expect(fired).toBe(false);
    base.advance(1);
    expect(fired).toBe(true);
  });

  it('never goes backwards: a negative jump makes it stand still until real time catches up', () => {
    const base = new VirtualClock();
    const clock = new SkewedClock(base);
    base.advance(1_000);
    const before = clock.now();
    clock.set({ rate: 1, offsetMs: -300 });
    base.advance(200);
    expect(clock.now()).toBe(before);
    base.advance(200);
    expect(clock.now()).toBe(before + 100);
  });

  it('refuses a rate that is not a positive finite number with a typed error', () => {
    expect(() => new SkewedClock(new VirtualClock(), { rate: 0, offsetMs: 0 })).toThrow(
      NodeOptionsError,
    );
    expect(() => new SkewedClock(new VirtualClock(), { rate: 1, offsetMs: Number.NaN })).toThrow(
      NodeOptionsError,
    );
  });
});
