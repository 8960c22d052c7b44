// Reconnect delays: exponential in the attempt number, capped, and jittered so
// that nodes restarted together do not reconnect in lock-step.
import type { Rng } from '@flotilla/raft';

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** "Equal jitter": a delay in [d/2, d) where d = min(maxMs, baseMs·2^attempt). */
export function backoffDelayMs(attempt: number, options: BackoffOptions, rng: Rng): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + rng.next() * (ceiling / 2);
}
