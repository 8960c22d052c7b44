// The leader's kv lease clocks (LeaderLeases) kept level with this node's
// applied state by the driver loop: started when it becomes the leader,
// following every grant, revoke and expiry it applies (whoever proposed it),
// reconciled after a snapshot install, and proposing a leaseExpire entry when
// a lease runs out. The node sees only LeaseClocks: the keep-alive and TTL it
// answers, and the grants and revokes it applied itself.
import { encodeCommand, type KvStateMachine } from '@flotilla/kv';
import type { CoreView } from './core-view.js';
import { LeaderLeases } from './leases.js';
import type { ResolvedOptions } from './options.js';
import type { Proposal } from './proposal-intake.js';

/** What the node may do with the leader's lease clocks (each is a no-op or undefined on a non-leader). */
export interface LeaseClocks {
  /** A lease grant this leader applied: its clock starts now. */
  granted(id: number, ttlSeconds: number, nowMs: number): void;
  /** Leases revoked or expired by an entry this leader applied. */
  gone(ids: readonly number[]): void;
  /** Renews a lease; its TTL in seconds, or undefined if it is not tracked. */
  keepAlive(id: number, nowMs: number): number | undefined;
  remainingMs(id: number, nowMs: number): number | undefined;
}

export interface KvLeaseClocksParams {
  readonly kv: KvStateMachine;
  readonly core: CoreView;
  readonly options: Pick<ResolvedOptions, 'electionTicks' | 'tickMs' | 'unsafeTestFaults'>;
  /** Queues the leader's own proposal (a leaseExpire entry) for the next batch. */
  readonly propose: (p: Proposal) => void;
}

export class KvLeaseClocks implements LeaseClocks {
  private readonly p: KvLeaseClocksParams;
  private readonly leases = new LeaderLeases();
  /** kv.leaseChanges when the lease tracker was last reconciled with the applied state. */
  private leaseChangesSeen = 0;

  constructor(params: KvLeaseClocksParams) {
    this.p = params;
  }

  becameLeader(now: number): void {
    const { kv, options: o } = this.p;
    this.leases.becomeLeader(kv.leaseList(), now, o.electionTicks * o.tickMs);
    this.leaseChangesSeen = kv.leaseChanges;
  }

  steppedDown(): void {
    this.leases.stepDown();
  }

  /** A snapshot was installed: the applied leases are the snapshot's. */
  installed(now: number): void {
    const kv = this.p.kv;
    this.leaseChangesSeen = kv.leaseChanges;
    if (this.p.core.role === 'leader') this.leases.reconcile(kv.leaseList(), now);
  }

  /**
   * The leader's lease tracker follows the grants, revokes and expiries just
   * applied, whoever proposed them: after a leader change the previous
   * leader's entries are applied here too.
   */
  applied(fromEarlierTerm: boolean, now: number): void {
    const kv = this.p.kv;
    if (this.p.core.role !== 'leader') return;
    if (this.p.options.unsafeTestFaults.leaseTrackerAddOnly === true) {
      if (fromEarlierTerm) this.leases.addMissing(kv.leaseList(), now);
      return;
    }
    const changes = kv.leaseChanges;
    if (changes === this.leaseChangesSeen) return;
    this.leaseChangesSeen = changes;
    this.leases.reconcile(kv.leaseList(), now);
  }

  /** On the leader's ticks: proposes the expiry of leases that ran out. */
  expire(now: number): void {
    const ids = this.leases.dueForExpiry(now);
    if (ids.length === 0) return;
    const data = encodeExpire(ids);
    this.p.propose({
      kind: 'entry',
      data,
      acceptedAtMs: now,
      forwardable: false,
      resolve: (result) => {
        if (result?.ok === true) this.leases.gone(ids);
        else this.leases.settled(ids);
      },
      reject: () => this.leases.settled(ids),
    });
  }

  granted(id: number, ttlSeconds: number, nowMs: number): void {
    this.leases.granted(id, ttlSeconds, nowMs);
  }

  gone(ids: readonly number[]): void {
    this.leases.gone(ids);
  }

  keepAlive(id: number, nowMs: number): number | undefined {
    return this.leases.keepAlive(id, nowMs);
  }

  remainingMs(id: number, nowMs: number): number | undefined {
    return this.leases.remainingMs(id, nowMs);
  }
}

function encodeExpire(ids: number[]): Uint8Array {
  return encodeCommand({ cmd: { op: 'leaseExpire', request: { ids } } });
}
