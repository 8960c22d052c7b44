// One virtual clock drives the whole simulated cluster. Between clock steps
// the runtime yields one macrotask turn so that every promise chain started by
// the fired timers (storage writes, memory-level reads, apply) settles before
// time moves on. Nothing in the simulation may use real timers or I/O, so a
// run depends only on its seed and schedule.

import { seededRng, type Rng } from '@flotilla/raft';
import { VirtualClock } from '@flotilla/transport';
import { SimulationLivelockError, SimulationStuckError } from './errors.js';

/** Steps at one virtual instant before the run is declared a livelock (work that never lets time move). */
const STEPS_PER_INSTANT_MAX = 100_000;

/** Lets all pending microtasks and nextTicks run (they drain before a macrotask). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class SimRuntime {
  readonly clock = new VirtualClock();
  readonly seed: number;
  readonly #rngs = new Map<string, Rng>();
  /** Called after every step with the promises settled (invariant checks). */
  readonly #observers: (() => void)[] = [];
  #steps = 0;
  #instant = -1;
  #stepsAtInstant = 0;

  constructor(seed: number) {
    this.seed = seed >>> 0;
  }

  /**
   * An independent random stream per purpose (network, node 2, clients, …), so
   * adding draws in one place does not shift the choices made elsewhere.
   */
  rng(purpose: string): Rng {
    let rng = this.#rngs.get(purpose);
    if (rng === undefined) {
      let h = this.seed ^ 0x9e3779b9;
      for (let i = 0; i < purpose.length; i++)
        h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193) >>> 0;
      rng = seededRng(h);
      this.#rngs.set(purpose, rng);
    }
    return rng;
  }

  get now(): number {
    return this.clock.now();
  }

  get steps(): number {
    return this.#steps;
  }

  observe(fn: () => void): void {
    this.#observers.push(fn);
  }

  /** Runs the cluster in virtual time until `endMs`, one timer instant at a time. */
  async runUntil(endMs: number): Promise<void> {
    await settle();
    while (this.clock.now() < endMs) {
      const next = this.clock.nextAt();
      this.clock.runUntil(
        next === undefined ? endMs : Math.min(endMs, Math.max(next, this.clock.now())),
      );
      this.#step();
      await settle();
      for (const fn of this.#observers) fn();
    }
  }

  #step(): void {
    this.#steps++;
    const now = this.clock.now();
    if (now !== this.#instant) {
      this.#instant = now;
      this.#stepsAtInstant = 0;
    } else if (++this.#stepsAtInstant > STEPS_PER_INSTANT_MAX) {
      throw new SimulationLivelockError(now, STEPS_PER_INSTANT_MAX);
    }
  }

  runFor(ms: number): Promise<void> {
    return this.runUntil(this.clock.now() + ms);
  }

  /** Runs until `done()` holds (checked after every step) or `maxMs` pass; returns whether it held. */
  async runUntilTrue(done: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.clock.now() + maxMs;
    await settle();
    while (!done()) {
      if (this.clock.now() >= end) return false;
      const next = this.clock.nextAt();
      this.clock.runUntil(
        next === undefined ? end : Math.min(end, Math.max(next, this.clock.now())),
      );
      this.#step();
      await settle();
      for (const fn of this.#observers) fn();
    }
    return true;
  }

  /** A promise that resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }

  /**
   * Runs the simulation until `p` settles and returns its value (or throws
   * its error). Throws SimulationStuckError after `maxMs` of virtual time:
   * awaiting a simulated operation without running the clock would hang.
   */
  async drive<T>(p: Promise<T>, maxMs: number, what: string): Promise<T> {
    let settled: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    p.then(
      (value) => (settled = { ok: true, value }),
      (error: unknown) => (settled = { ok: false, error }),
    );
    await this.runUntilTrue(() => settled !== undefined, maxMs);
    const s = settled as typeof settled;
    if (s === undefined) throw new SimulationStuckError(what, maxMs);
    if (!s.ok) throw s.error;
    return s.value;
  }

  /**
   * Awaits `p` for at most `maxMs` of virtual time, for code that runs inside
   * the simulation (timer callbacks, clients): it relies on an outer loop
   * (runUntil / drive) moving the clock, and never drives the clock itself.
   */
  within<T>(p: Promise<T>, maxMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = this.clock.setTimer(maxMs, () => {
        if (done) return;
        done = true;
        reject(new SimulationStuckError(what, maxMs));
      });
      p.then(
        (value) => {
          if (done) return;
          done = true;
          this.clock.clearTimer(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (done) return;
          done = true;
          this.clock.clearTimer(timer);
          reject(error);
        },
      );
    });
  }

  /** Polls `pred` every `pollMs` of virtual time (inside the simulation); false after `maxMs`. */
  async waitFor(pred: () => boolean, maxMs: number, pollMs = 5): Promise<boolean> {
    const end = this.now + maxMs;
    while (!pred()) {
      if (this.now >= end) return false;
      await this.sleep(pollMs);
    }
    return true;
  }
}
