// --command-timeout as a deadline for the whole command, as etcdctl's is: the
// remote client retries (any number of attempts, endpoint after endpoint)
// until it succeeds or the deadline passes, instead of stopping after a fixed
// number of attempts while the cluster is still electing a leader. When the
// deadline wins the race, the runner closes the client, which ends the
// attempt in flight and the retry loop.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import { setTimeout as delay } from 'node:timers/promises';
import { formatDuration } from './duration.js';

/** The command did not succeed within --command-timeout. */
export class CommandTimeoutError extends FlotillaError {
  readonly category: ErrorCategory = 'outcomeUnknown';
  override readonly name = 'CommandTimeoutError';
}

export class Deadline {
  private atMs = Infinity;
  /** What the command was doing, for the error (set by the runner). */
  what = 'the command';
  /** Said after the timeout when a write may have been applied. */
  note = '';

  constructor(
    readonly budgetMs: number,
    private readonly endpoints: readonly string[],
  ) {}

  /** Starts (or restarts, for each keep-alive round) the budget now. */
  start(): void {
    this.atMs = Date.now() + this.budgetMs;
  }

  /** No deadline (watch runs until Ctrl-C). */
  clear(): void {
    this.atMs = Infinity;
  }

  remainingMs(): number {
    return this.atMs - Date.now();
  }

  expired(): CommandTimeoutError {
    return new CommandTimeoutError(
      `${this.what}: no success within ${formatDuration(this.budgetMs)} (--command-timeout): no leader answered or no endpoint was reachable (${this.endpoints.join(', ')})${this.note}`,
    );
  }

  /** `work`, or `expired()` if the deadline comes first (an attempt still waiting for an answer). */
  async race<T>(work: Promise<T>): Promise<T> {
    const left = this.remainingMs();
    if (!Number.isFinite(left)) return work;
    const timer = new AbortController();
    const timeout = delay(Math.max(0, left), undefined, { signal: timer.signal }).then(() => {
      throw this.expired();
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      timer.abort();
      timeout.catch(() => undefined);
    }
  }
}
