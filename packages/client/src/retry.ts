// Bounded retries with exponential back-off and full jitter. Time and
// randomness are injected so the policy is tested without sleeping.

export interface RetryOptions {
  /** Attempts in total, the first included. */
  attemptsMax: number;
  /** Upper bound of the first back-off; doubles per attempt up to backoffMaxMs. */
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  attemptsMax: 6,
  backoffInitialMs: 25,
  backoffMaxMs: 1_000,
};

export interface RetryEnv {
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const realEnv: RetryEnv = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** The wait before attempt `attempt` (1-based; attempt 1 waits 0): uniform in [0, min(max, initial·2^(attempt-2))]. */
export function backoffMs(options: RetryOptions, attempt: number, random: () => number): number {
  if (attempt <= 1) return 0;
  const cap = Math.min(options.backoffMaxMs, options.backoffInitialMs * 2 ** (attempt - 2));
  return Math.floor(random() * cap);
}

/** Decides, per failure, whether another attempt may be made. */
export type RetryDecision = 'retry' | 'fail';

/**
 * Runs `attempt` until it succeeds, `classify` says 'fail', or the attempts
 * are used up; then rethrows through `exhausted` (for a typed error).
 */
export async function withRetry<T>(
  options: RetryOptions,
  env: RetryEnv,
  attempt: (n: number) => Promise<T>,
  classify: (err: unknown, n: number) => RetryDecision,
  exhausted: (err: unknown, attempts: number) => unknown,
): Promise<T> {
  let lastError: unknown;
  for (let n = 1; n <= options.attemptsMax; n++) {
    const wait = backoffMs(options, n, env.random);
    if (wait > 0) await env.sleep(wait);
    try {
      return await attempt(n);
    } catch (err) {
      if (classify(err, n) === 'fail') throw err;
      lastError = err;
    }
  }
  throw exhausted(lastError, options.attemptsMax);
}
