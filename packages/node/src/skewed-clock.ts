// TEST ONLY: a clock that runs at `rate` times its base clock, shifted by
// `offsetMs`, for the fault suite's clock nemesis (a node whose oscillator is
// fast or slow, or whose clock jumps). Timers scale with the rate, so a node
// at rate 2 ticks, times out elections and expires leases twice as fast as
// its peers. The Clock contract says time never goes backwards, so a
// negative jump makes this clock stand still until the base catches up.
// Never use it in production: `openNode({ testClockSkew })` is the only user.
import type { Clock, TimerHandle } from '@flotilla/transport';
import { NodeOptionsError } from './errors.js';

export interface ClockSkew {
  /** Speed relative to the base clock (1 = true time); > 0. */
  readonly rate: number;
  /** Added to the clock's reading, in ms (may be negative). */
  readonly offsetMs: number;
}

export const NO_SKEW: ClockSkew = Object.freeze({ rate: 1, offsetMs: 0 });

export function checkSkew(skew: ClockSkew): void {
  if (!(Number.isFinite(skew.rate) && skew.rate > 0))
    throw new NodeOptionsError(`testClockSkew.rate must be a finite number > 0, got ${skew.rate}`);
  if (!Number.isFinite(skew.offsetMs))
    throw new NodeOptionsError(
      `testClockSkew.offsetMs must be a finite number of ms, got ${skew.offsetMs}`,
    );
}

export class SkewedClock implements Clock {
  readonly #base: Clock;
  #skew: ClockSkew;
  /** The base reading and the unshifted skewed reading when the rate last changed. */
  #anchorBaseMs: number;
  #anchorMs: number;
  #lastMs = -Infinity;

  constructor(base: Clock, skew: ClockSkew = NO_SKEW) {
    checkSkew(skew);
    this.#base = base;
    this.#skew = skew;
    this.#anchorBaseMs = base.now();
    this.#anchorMs = this.#anchorBaseMs;
  }

  get skew(): ClockSkew {
    return this.#skew;
  }

  /** Changes rate and offset from now on; timers already set keep their scaled delay. */
  set(skew: ClockSkew): void {
    checkSkew(skew);
    const base = this.#base.now();
    this.#anchorMs += (base - this.#anchorBaseMs) * this.#skew.rate;
    this.#anchorBaseMs = base;
    this.#skew = skew;
  }

  now(): number {
    const raw =
      this.#anchorMs +
      (this.#base.now() - this.#anchorBaseMs) * this.#skew.rate +
      this.#skew.offsetMs;
    this.#lastMs = Math.max(this.#lastMs, raw);
    return this.#lastMs;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    return this.#base.setTimer(Math.max(0, delayMs) / this.#skew.rate, fn);
  }

  clearTimer(handle: TimerHandle): void {
    this.#base.clearTimer(handle);
  }
}
