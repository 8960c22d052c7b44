// A clock that moves only when told to. Timers due at the same time fire in
// the order they were set, so a run is a pure function of its inputs.
import type { Clock, TimerHandle } from './clock.js';
import { ClockRunawayError } from './errors.js';
import { TimerHeap, type HeapTimer } from './timer-heap.js';

export interface VirtualClockOptions {
  /** The time `now()` starts at. Default 0. */
  readonly startMs?: number;
  /** Timers one `runUntil`/`advance` call may fire before it assumes a runaway loop. Default 10,000,000. */
  readonly firesPerRunMax?: number;
}

export class VirtualClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private readonly heap = new TimerHeap();
  private live = 0;
  private readonly firesPerRunMax: number;

  constructor(options: VirtualClockOptions = {}) {
    this.nowMs = options.startMs ?? 0;
    this.firesPerRunMax = options.firesPerRunMax ?? 10_000_000;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    if (!Number.isFinite(delayMs))
      throw new RangeError(`timer delay must be a finite number of ms, got ${delayMs}`);
    const timer: HeapTimer = {
      at: this.nowMs + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.heap.push(timer);
    this.live++;
    return timer as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as unknown as HeapTimer;
    if (timer.cancelled) return;
    timer.cancelled = true;
    this.live--;
  }

  /** Timers set and neither fired nor cleared. */
  pendingTimers(): number {
    return this.live;
  }

  /** When the next live timer is due, or undefined if none is. */
  nextAt(): number | undefined {
    this.skipCancelled();
    return this.heap.peek()?.at;
  }

  /** Fires the next due timer, moving time to it. Returns false when no timer is set. */
  runNext(): boolean {
    this.skipCancelled();
    const timer = this.heap.pop();
    if (timer === undefined) return false;
    this.fire(timer);
    return true;
  }

  /** Fires, in order, every timer due at or before `timeMs` (including ones they set), then sets now to `timeMs`. */
  runUntil(timeMs: number): void {
    if (timeMs < this.nowMs)
      throw new RangeError(`cannot run back in time: now is ${this.nowMs}, asked for ${timeMs}`);
    let fired = 0;
    for (;;) {
      this.skipCancelled();
      const next = this.heap.peek();
      if (next === undefined || next.at > timeMs) break;
      if (++fired > this.firesPerRunMax) {
        throw new ClockRunawayError(
          `more than ${this.firesPerRunMax} timers fired before time ${timeMs}; a timer probably re-arms itself with no delay`,
        );
      }
      this.fire(this.heap.pop()!);
    }
    this.nowMs = timeMs;
  }

  /** `runUntil(now + ms)`. */
  advance(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  private fire(timer: HeapTimer): void {
    timer.cancelled = true;
    this.live--;
    this.nowMs = Math.max(this.nowMs, timer.at);
    timer.fn();
  }

  private skipCancelled(): void {
    while (this.heap.peek()?.cancelled === true) this.heap.pop();
  }
}
