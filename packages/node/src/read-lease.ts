// The leader's read lease: how long it may serve lease reads without a round
// trip (docs/architecture.md, "Leader leases"). The driver loop tells it what
// happened (leadership won or lost, a new term, a TimeoutNow sent, a read round
// confirmed); it answers whether a lease read may be served now.
import { NONE, type NodeId } from '@flotilla/raft';
import type { Clock } from '@flotilla/transport';
import type { CoreView } from './core-view.js';
import type { ResolvedOptions } from './options.js';

export interface ReadLeaseParams {
  readonly clock: Clock;
  /** What the driver knows of the core (its role and commit index). */
  readonly core: CoreView;
  readonly options: Pick<
    ResolvedOptions,
    'checkQuorum' | 'electionTicks' | 'tickMs' | 'leaseFraction'
  >;
  /** The target of a leadership transfer under way (NONE if there is none): the core's status. */
  readonly leadTransferee: () => NodeId;
}

export class ReadLease {
  private readonly p: ReadLeaseParams;
  /** The first index of this leader's term: lease reads need it committed. */
  private termStartIndex = Infinity;
  private leaseUntilMs = -Infinity;
  /** Rounds issued before this time do not renew the lease (a TimeoutNow left; see block). */
  private leaseBlockedUntilMs = -Infinity;

  constructor(params: ReadLeaseParams) {
    this.p = params;
  }

  /**
   * May a read be served from the leader lease now? Only with CheckQuorum (without it voters
   * promise nothing and a lease read is a read-index read), once an entry of this term is
   * committed, within the lease, and not while a transfer is under way (its target may be
   * told to campaign at any moment, and a transfer vote skips the voters' promise).
   */
  holds(): boolean {
    const o = this.p.options;
    const core = this.p.core;
    return (
      o.checkQuorum &&
      // Stryker disable next-line ConditionalExpression: redundant with the next check, termStartIndex is Infinity on any non-leader
      core.role === 'leader' &&
      // Stryker disable next-line ConditionalExpression: a lease is reset on becoming leader and renewed only by confirmed read rounds, which the core holds until the term's first commit
      core.commitIndex >= this.termStartIndex &&
      this.p.clock.now() < this.leaseUntilMs &&
      this.p.leadTransferee() === NONE
    );
  }

  /** This node became the leader; `lastIndex` (its log's last index) is its term's first entry. */
  becameLeader(lastIndex: number): void {
    this.termStartIndex = lastIndex;
    this.leaseUntilMs = -Infinity;
  }

  /** This node stopped being the leader. */
  steppedDown(): void {
    this.termStartIndex = Infinity;
    this.leaseUntilMs = -Infinity;
  }

  /** The term changed: a lease of an earlier term promises nothing in this one. */
  termChanged(): void {
    this.leaseUntilMs = -Infinity;
  }

  /**
   * A TimeoutNow is leaving (at once when a transfer starts with its target caught up, else
   * when the target catches up): the target's votes will skip the voters' promise, so the
   * lease ends now, and rounds issued within an election timeout (the bound on a message's
   * delay that leases assume) do not renew it, even if the transfer is abandoned meanwhile:
   * its TimeoutNow may still arrive. A transfer that never sent one left nothing to fear.
   */
  block(now: number): void {
    const o = this.p.options;
    this.leaseUntilMs = -Infinity;
    this.leaseBlockedUntilMs = Math.max(this.leaseBlockedUntilMs, now + o.electionTicks * o.tickMs);
  }

  /** A read round issued at `issuedAtMs` was confirmed by a quorum: each of its voters promised not to elect another leader for an election timeout. */
  renew(issuedAtMs: number): void {
    const o = this.p.options;
    if (this.p.core.role !== 'leader' || issuedAtMs < this.leaseBlockedUntilMs) return;
    this.leaseUntilMs = Math.max(
      this.leaseUntilMs,
      issuedAtMs + o.electionTicks * o.tickMs * o.leaseFraction,
    );
  }
}
