// Keeps a lease alive on a timer until stopped or the lease is lost.

import { LeaseNotFoundError } from '@flotilla/kv';
import type { KV } from '../types.js';

export interface KeepAlive {
  /** Stops the timer (the lease then expires after its TTL unless revoked). */
  stop(): void;
  /** Resolves with the reason if the lease was lost (expired, revoked, or keep-alives failed for a whole TTL). */
  readonly lost: Promise<Error>;
}

export interface KeepAliveOptions {
  /** Interval between keep-alives; default a third of the TTL. */
  intervalMs?: number;
  ttlSeconds: number;
}

export function keepAliveEvery(kv: KV, id: number, options: KeepAliveOptions): KeepAlive {
  const intervalMs =
    options.intervalMs ?? Math.max(100, Math.floor((options.ttlSeconds * 1000) / 3));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastOkMs = Date.now();
  let reportLost!: (err: Error) => void;
  const lost = new Promise<Error>((resolve) => (reportLost = resolve));

  const tick = async (): Promise<void> => {
    if (stopped) return;
    try {
      await kv.leaseKeepAlive(id);
      lastOkMs = Date.now();
    } catch (err) {
      const gone = err instanceof LeaseNotFoundError;
      // Transient failures are retried at the next tick until a whole TTL has passed without success.
      if (gone || Date.now() - lastOkMs > options.ttlSeconds * 1000) {
        stopped = true;
        reportLost(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), intervalMs);
      timer.unref();
    }
  };
  timer = setTimeout(() => void tick(), intervalMs);
  timer.unref();

  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    lost,
  };
}
