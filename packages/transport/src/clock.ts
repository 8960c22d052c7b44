// Time as an injected dependency: the memory network, the node driver and the
// simulator take a Clock, so the same code runs on real timers or on a
// virtual clock that a test advances by hand.

declare const timerBrand: unique symbol;
/** An opaque handle for `clearTimer`. */
export type TimerHandle = { readonly [timerBrand]: true };

export interface Clock {
  /** Milliseconds since an arbitrary origin; never goes backwards. */
  now(): number;
  /** Calls `fn` once, `delayMs` (≥ 0) from now. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/** Real time: `performance.now()` and Node timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (delayMs, fn) => setTimeout(fn, Math.max(0, delayMs)) as unknown as TimerHandle,
  clearTimer: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};
