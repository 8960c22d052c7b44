// Leader-side lease clocks. The state machine only knows what was replicated
// (id, TTL, keys); when a lease runs out is decided here, on the leader, from
// the time its caller passes in, and then proposed as a `leaseExpire` entry.
// Keep-alives are leader-local as in etcd: they are not replicated, so a new
// leader cannot know them and must extend every lease (promote) instead of
// expiring leases that may have been kept alive.

export interface TrackedLease {
  id: number;
  ttlMs: number;
  deadlineMs: number;
}

export class LeaseTracker {
  private readonly leases = new Map<number, TrackedLease>();

  get size(): number {
    return this.leases.size;
  }

  /** Starts tracking a granted lease (call when its grant is applied). */
  track(id: number, ttlSeconds: number, nowMs: number): void {
    const ttlMs = ttlSeconds * 1000;
    this.leases.set(id, { id, ttlMs, deadlineMs: nowMs + ttlMs });
  }

  /** Stops tracking (call when a revoke or expiry is applied). */
  forget(id: number): void {
    this.leases.delete(id);
  }

  /** Replaces the tracked set with the state machine's leases (a new leader, a restored snapshot). */
  reset(leases: readonly { id: number; ttl: number }[], nowMs: number): void {
    this.leases.clear();
    for (const l of leases) this.track(l.id, l.ttl, nowMs);
  }

  /** The tracked ids, ascending. */
  ids(): number[] {
    return [...this.leases.keys()].sort((a, b) => a - b);
  }

  /** Renews a lease; returns its TTL in seconds, or undefined if it is not tracked (not found). */
  keepAlive(id: number, nowMs: number): number | undefined {
    const lease = this.leases.get(id);
    if (!lease) return undefined;
    lease.deadlineMs = nowMs + lease.ttlMs;
    return lease.ttlMs / 1000;
  }

  /** Milliseconds left (≥ 0), or undefined if not tracked. */
  remainingMs(id: number, nowMs: number): number | undefined {
    const lease = this.leases.get(id);
    return lease ? Math.max(0, lease.deadlineMs - nowMs) : undefined;
  }

  /** Ids whose deadline has passed, ascending, at most `limit` (to keep one expiry entry small). */
  expired(nowMs: number, limit = 1000): number[] {
    const ids: number[] = [];
    for (const lease of this.leases.values()) if (lease.deadlineMs <= nowMs) ids.push(lease.id);
    return ids.sort((a, b) => a - b).slice(0, limit);
  }

  /**
   * A new leader's first act: every lease gets at least its full TTL plus
   * `extendMs` (e.g. an election timeout) from now, because keep-alives sent
   * to the old leader were never replicated.
   */
  promote(nowMs: number, extendMs: number): void {
    for (const lease of this.leases.values()) {
      lease.deadlineMs = Math.max(lease.deadlineMs, nowMs + extendMs + lease.ttlMs);
    }
  }
}
