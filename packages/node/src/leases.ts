// The leader's lease clocks (kv's LeaseTracker on the injected Clock): when a
// lease runs out, the leader proposes a leaseExpire entry. Keep-alives are
// leader-local, so a new leader extends every lease (promote) instead of
// expiring ones that may have been kept alive on the old leader. The tracked
// set follows the applied state both ways (reconcile): a lease revoked or
// expired by a committed entry is forgotten, so its keep-alive answers "lease
// not found" as etcd's does, and two clients cannot both believe they hold it.
import { LeaseTracker, type LeaseStatus } from '@flotilla/kv';

/** Ids per leaseExpire entry, to keep one entry small. */
const EXPIRE_BATCH_MAX = 1_000;

export class LeaderLeases {
  private tracker = new LeaseTracker();
  private active = false;
  /** Ids in a leaseExpire proposal not yet settled: not proposed again meanwhile. */
  private readonly expiring = new Set<number>();

  get isActive(): boolean {
    return this.active;
  }

  becomeLeader(leases: readonly LeaseStatus[], nowMs: number, extendMs: number): void {
    this.tracker = new LeaseTracker();
    this.tracker.reset(leases, nowMs);
    this.tracker.promote(nowMs, extendMs);
    this.expiring.clear();
    this.active = true;
  }

  stepDown(): void {
    this.active = false;
    this.expiring.clear();
  }

  granted(id: number, ttlSeconds: number, nowMs: number): void {
    if (this.active) this.tracker.track(id, ttlSeconds, nowMs);
  }

  gone(ids: readonly number[]): void {
    for (const id of ids) {
      this.tracker.forget(id);
      this.expiring.delete(id);
    }
  }

  /**
   * Makes the tracked set the applied state's `leases`: new ones are tracked
   * from now (a full TTL), ones no longer there are forgotten.
   */
  reconcile(leases: readonly LeaseStatus[], nowMs: number): void {
    // Stryker disable next-line ConditionalExpression: equivalent, off the leader every reader checks `active` and becomeLeader starts a new tracker
    if (!this.active) return;
    this.addMissing(leases, nowMs);
    const live = new Set(leases.map((l) => l.id));
    this.gone(this.tracker.ids().filter((id) => !live.has(id)));
  }

  /** Only the tracking half of reconcile (unsafeTestFaults.leaseTrackerAddOnly: the old, unsafe behaviour). */
  addMissing(leases: readonly LeaseStatus[], nowMs: number): void {
    if (!this.active) return;
    for (const l of leases)
      if (this.tracker.remainingMs(l.id, nowMs) === undefined)
        this.tracker.track(l.id, l.ttl, nowMs);
  }

  /** Expired ids not already being expired; they are marked until `settled`. */
  dueForExpiry(nowMs: number): number[] {
    if (!this.active) return [];
    const ids = this.tracker
      .expired(nowMs, EXPIRE_BATCH_MAX + this.expiring.size)
      .filter((id) => !this.expiring.has(id))
      .slice(0, EXPIRE_BATCH_MAX);
    for (const id of ids) this.expiring.add(id);
    return ids;
  }

  /** The expiry proposal for `ids` ended without applying (they will be proposed again if still due). */
  settled(ids: readonly number[]): void {
    for (const id of ids) this.expiring.delete(id);
  }

  /**
   * Renews a lease; undefined (answered "lease not found") if it is not
   * tracked, or if it ran out: its expiry entry is then in flight (every id in
   * `expiring` ran out) or proposed on the next tick, and nothing withdraws
   * it, so a renewal would promise a TTL the committed expiry takes away (a
   * keep-alive that waited on a read-index round arrives just then). etcd's
   * Renew refuses an expired lease the same way.
   */
  keepAlive(id: number, nowMs: number): number | undefined {
    if (!this.active || this.tracker.remainingMs(id, nowMs) === 0) return undefined;
    return this.tracker.keepAlive(id, nowMs);
  }

  remainingMs(id: number, nowMs: number): number | undefined {
    return this.active ? this.tracker.remainingMs(id, nowMs) : undefined;
  }
}
