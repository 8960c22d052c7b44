// A session: a lease kept alive for the lifetime of a lock or election
// candidacy (etcd's concurrency.Session). Closing it revokes the lease, which
// deletes every key the session owns.

import type { KV } from '../types.js';
import { keepAliveEvery, type KeepAlive } from './keep-alive.js';

export interface SessionOptions {
  /** TTL of the session's lease; the keys vanish this long after the process dies. */
  ttlSeconds?: number;
  /** Use an existing lease (the caller keeps it alive and revokes it). */
  leaseId?: number;
}

export const DEFAULT_SESSION_TTL_SECONDS = 10;

export class Session {
  private constructor(
    readonly kv: KV,
    readonly leaseId: number,
    private readonly keepAlive: KeepAlive | undefined,
  ) {}

  static async open(kv: KV, options: SessionOptions = {}): Promise<Session> {
    if (options.leaseId !== undefined) return new Session(kv, options.leaseId, undefined);
    const ttlSeconds = options.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
    const grant = await kv.leaseGrant(ttlSeconds);
    return new Session(kv, grant.id, keepAliveEvery(kv, grant.id, { ttlSeconds }));
  }

  /** Resolves if the session's lease is lost (never, for a caller-owned lease). */
  get lost(): Promise<Error> {
    return this.keepAlive?.lost ?? new Promise<Error>(() => undefined);
  }

  /** The key this session uses under `prefix` (etcd's layout: prefix + "/" + lease id in hex). */
  keyUnder(prefix: string): string {
    return `${prefix}/${this.leaseId.toString(16)}`;
  }

  async close(): Promise<void> {
    if (!this.keepAlive) return;
    this.keepAlive.stop();
    await this.kv.leaseRevoke(this.leaseId).catch(() => undefined);
  }
}
