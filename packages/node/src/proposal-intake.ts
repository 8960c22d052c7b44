// Proposals on their way into the log: a bounded queue filled by callers at any
// time and drained into the core between Raft batches (all at once: group
// commit). A proposal the core refuses because this node is not the leader is
// forwarded to the leader if it may be; one the core accepts waits for the
// entry at its (index, term) to be applied (Waiters).
import type { ApplyResult, CommandResponse } from '@flotilla/kv';
import { NotLeaderError, type ConfChange, type NodeId, type RawNode } from '@flotilla/raft';
import type { Clock } from '@flotilla/transport';
import { TooManyRequestsError } from './errors.js';
import type { Forwarder, Identify } from './forwarder.js';
import type { NodeMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { Waiters } from './waiters.js';
import type { ForwardOp } from './wire.js';

const EMPTY = new Uint8Array(0);

/** Something to put in the log, and who waits for it. */
export interface Proposal {
  readonly kind: 'entry' | 'conf';
  readonly data?: Uint8Array;
  readonly change?: ConfChange;
  readonly acceptedAtMs: number;
  /** May this proposal be forwarded if this node is not the leader? (Forwarded ones are not forwarded again.) */
  readonly forwardable: boolean;
  /**
   * A write without an exactly-once identity: re-encodes it with one. A
   * follower forwards it with one of its forward lanes' identities, so it can
   * be re-sent to a new leader without being applied twice.
   */
  readonly identify?: Identify;
  readonly resolve: (result: ApplyResult | undefined) => void;
  readonly reject: (err: Error) => void;
}

export interface ProposalIntakeParams {
  readonly id: NodeId;
  readonly raw: RawNode;
  readonly clock: Clock;
  readonly waiters: Waiters;
  readonly forwarder: Forwarder;
  readonly metrics: NodeMetrics;
  readonly options: Pick<
    ResolvedOptions,
    'proposalQueueMax' | 'pendingProposalsMax' | 'groupCommit' | 'proposalTimeoutMs'
  >;
  /** Wakes the driver loop. */
  readonly wake: () => void;
  /** Resolves once this node applied up to an index (bounded, see AppliedWaits). */
  readonly appliedReached: (index: number) => Promise<void>;
}

export class ProposalIntake {
  private readonly p: ProposalIntakeParams;
  private proposals: Proposal[] = [];

  constructor(params: ProposalIntakeParams) {
    this.p = params;
  }

  /** Proposals waiting for the next batch. */
  get queued(): number {
    return this.proposals.length;
  }

  /** Proposals not yet answered: queued, or in the log waiting to be applied. */
  get pending(): number {
    return this.proposals.length + this.p.waiters.size;
  }

  /** Queues a proposal for the next batch, within proposalQueueMax and pendingProposalsMax. */
  propose(p: Proposal): void {
    const o = this.p.options;
    if (this.proposals.length >= o.proposalQueueMax)
      return p.reject(new TooManyRequestsError('proposalQueueMax', o.proposalQueueMax));
    if (this.proposals.length + this.p.waiters.size >= o.pendingProposalsMax) {
      return p.reject(new TooManyRequestsError('pendingProposalsMax', o.pendingProposalsMax));
    }
    this.proposals.push(p);
    this.p.wake();
  }

  /** Queues the node's own proposal (a lease expiry) without the callers' limits; the loop is running already. */
  proposeOwn(p: Proposal): void {
    this.proposals.push(p);
  }

  /** Fails every queued proposal (the node stops). */
  failAll(err: () => Error): void {
    for (const prop of this.proposals) prop.reject(err());
    this.proposals = [];
  }

  /** Gives the queued proposals to the core (between batches). */
  proposeQueued(now: number): void {
    const o = this.p.options;
    const raw = this.p.raw;
    // Without group commit (an ablation) one proposal goes into each batch; the rest wait for the next.
    const queued = o.groupCommit ? this.proposals : this.proposals.slice(0, 1);
    this.proposals = o.groupCommit ? [] : this.proposals.slice(1);
    for (const prop of queued) {
      const r =
        prop.kind === 'entry'
          ? raw.propose(prop.data ?? EMPTY)
          : raw.proposeConfChange(prop.change!);
      if (r.ok) {
        this.p.waiters.add({
          index: r.index,
          term: r.term,
          acceptedAtMs: prop.acceptedAtMs,
          deadlineMs: now + o.proposalTimeoutMs,
          resolve: prop.resolve,
          reject: prop.reject,
        });
      } else if (r.error instanceof NotLeaderError && prop.forwardable) {
        this.forward(prop, r.error.leader);
      } else {
        prop.reject(r.error);
      }
    }
  }

  private forward(prop: Proposal, leader: NodeId): void {
    const req: ForwardOp =
      prop.kind === 'entry'
        ? { op: 'propose', data: prop.data ?? EMPTY }
        : { op: 'confChange', change: prop.change! };
    // The leader answers with the response of an applied entry, or the error it failed with. With no
    // leader known the forwarder holds it until one is (also when forwarding is off: it may be this node).
    // Answered once this node applied as far as the leader had (what it answers is visible here).
    this.p.forwarder
      .forward(leader, req, prop.identify)
      .then(async ({ value, by, applied }) => {
        await this.p.appliedReached(applied);
        // Served here (this node became the leader meanwhile): its own apply recorded the latency.
        if (by !== this.p.id)
          this.p.metrics.commitLatency.record(this.p.clock.now() - prop.acceptedAtMs);
        prop.resolve(
          prop.kind === 'entry'
            ? { index: 0, ok: true, response: value as CommandResponse }
            : undefined,
        );
      })
      .catch((err: Error) => prop.reject(err));
  }
}
