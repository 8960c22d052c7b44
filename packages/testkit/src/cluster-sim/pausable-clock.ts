// A per-node view of the shared virtual clock that can be paused, as SIGSTOP
// pauses a process: while paused, the node's timers (ticks, its own timeouts)
// do not fire; they fire, in their original order, when it resumes. Time
// itself keeps moving, so the node sees a jump on resume, as a real paused
// process does.

import type { Clock, TimerHandle } from '@flotilla/transport';

interface Slot {
  inner: TimerHandle | undefined;
  cancelled: boolean;
}

export class PausableClock implements Clock {
  readonly #base: Clock;
  #paused = false;
  /** Timers that came due while paused, in due order. */
  #deferred: { slot: Slot; fn: () => void }[] = [];

  constructor(base: Clock) {
    this.#base = base;
  }

  now(): number {
    return this.#base.now();
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const slot: Slot = { inner: undefined, cancelled: false };
    // Due times are whole ms: a drifting node's timers (fractional delays) then share instants
    // with the others, so the runtime takes far fewer steps; the drift itself is kept on average.
    const now = this.#base.now();
    slot.inner = this.#base.setTimer(Math.ceil(now + Math.max(0, delayMs)) - now, () => {
      slot.inner = undefined;
      if (slot.cancelled) return;
      if (this.#paused) this.#deferred.push({ slot, fn });
      else fn();
    });
    return slot as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    const slot = handle as unknown as Slot;
    slot.cancelled = true;
    if (slot.inner !== undefined) this.#base.clearTimer(slot.inner);
  }

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  /** Resumes and fires the timers that came due meanwhile (those not cleared). */
  resume(): void {
    this.#paused = false;
    const due = this.#deferred;
    this.#deferred = [];
    for (const d of due) if (!d.slot.cancelled) d.fn();
  }
}
