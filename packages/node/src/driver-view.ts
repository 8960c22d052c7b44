// What the node (node.ts) sees of its driver: the core's state read-only, and
// the requests it may queue. Everything it reads is written by the driver loop
// alone; the node's own request server is given to the driver when it is
// built (DriverParams.serveRequest), never set afterwards.
import type { NodeId, RawNode, Role, SnapshotMeta } from '@flotilla/raft';
import type { LeaseClocks } from './kv-lease-clocks.js';
import type { NodeMetrics } from './metrics.js';
import type { Proposal } from './proposal-intake.js';
import type { PendingRead } from './reads.js';
import type { ForwardOp } from './wire.js';

/** Runs a request on this node as the leader (its own, or forwarded by a follower); the node provides it. */
export type ServeRequest = (req: ForwardOp) => Promise<unknown>;

/** What the node gives the driver it builds: its request server, and what to do when the loop fails. */
export interface DriverHooks {
  readonly serveRequest: ServeRequest;
  /** The loop threw (storage, state machine, invariant): the node stops itself and says why. */
  readonly onFailed: (err: unknown) => void;
}

export interface DriverView {
  readonly role: Role;
  readonly leader: NodeId;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly snapshotIndex: number;
  readonly forwardToLeader: boolean;
  readonly metrics: NodeMetrics;
  /** The leader's kv lease clocks (keep-alives and TTLs are answered from them). */
  readonly leaseClocks: LeaseClocks;

  start(): void;
  /** Stops the loop; see Driver.stop. */
  stop(graceful: boolean, failure?: Error): Promise<void>;
  /** Queues a proposal for the next batch. */
  propose(p: Proposal): void;
  /** A linearizable read: resolves when local state may serve it. */
  readIndex(read: PendingRead): void;
  /** A lease read: at once on a leader whose lease holds, else a read-index round. */
  leaseRead(read: PendingRead): void;
  /** Sends a request to the leader over the node channel. */
  forward(req: ForwardOp): Promise<unknown>;
  /** Runs `fn` on the core between batches and resolves with its result. */
  inLoop<T>(fn: (raw: RawNode) => T): Promise<T>;
  /** Takes a snapshot now. Call only between batches (through inLoop). */
  snapshot(): Promise<SnapshotMeta>;
  rawStatus(): ReturnType<RawNode['status']>;
  pendingCounts(): { proposals: number; reads: number; forwarded: number };
}
