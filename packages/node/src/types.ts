// The public shapes of the node API.
import type { AuthContext } from '@flotilla/kv';
import type { KvLevel } from '@flotilla/kv';
import type { ConfState, NodeId, ProgressStatus, Rng, Role } from '@flotilla/raft';
import type { SnapshotStore, Storage } from '@flotilla/storage';
import type { Clock, Transport } from '@flotilla/transport';
import type { MetricsStatus } from './metrics.js';
import type { NodeOptions } from './options.js';

/** Everything a node is composed of: any storage, any transport, any clock. */
export interface CreateNodeParams {
  readonly id: NodeId;
  readonly clusterId: string;
  /** The Raft log, hard state and (by default) snapshots. The caller owns it: close() does not close it. */
  readonly storage: Storage;
  /** The caller owns it too, but the node closes it on close()/crash() (nothing may reach a stopped node). */
  readonly transport: Transport;
  readonly clock: Clock;
  /** Seeds the Raft core's election timeouts. */
  readonly rng: Rng;
  /** An abstract-level database or sublevel for the KV state (LevelStorage.stateLevel(), or a memory-level). Owned by the caller. */
  readonly stateLevel: KvLevel;
  /** Where KV snapshots go; default `storage.snapshots`. */
  readonly snapshotStore?: SnapshotStore;
  /**
   * The cluster's founding voters. Needed on the first start only (it is then
   * stored). A node that joins later is started with the same founding voters
   * and an empty data directory; it learns every later change from the log or a snapshot.
   */
  readonly initialVoters?: readonly NodeId[];
  readonly options?: NodeOptions;
}

/** Exactly-once writes: a retry with the same clientId and seq is not applied twice. */
export interface WriteOptions {
  readonly clientId?: string;
  readonly seq?: number;
  /**
   * Who asked, for a caller from the network (see @flotilla/kv AuthContext):
   * checked at apply against the replicated auth state. Omit it for
   * in-process callers, which auth does not restrict.
   */
  readonly auth?: AuthContext;
}

/**
 * - `linearizable` (default): a ReadIndex round confirms leadership; the read
 *   sees every write acknowledged before it started.
 * - `lease`: served from the leader's lease without a round when it holds
 *   (needs bounded clock drift); otherwise a ReadIndex round.
 * - `serializable`: this node's local state, possibly stale.
 */
export type ReadConsistency = 'linearizable' | 'lease' | 'serializable';

export interface ReadOptions {
  readonly consistency?: ReadConsistency;
}

/** Like etcd's response header. */
export interface NodeHeader {
  readonly clusterId: string;
  readonly memberId: NodeId;
  readonly revision: number;
  readonly raftTerm: number;
}

export type WithHeader<T extends { header: unknown }> = Omit<T, 'header'> & { header: NodeHeader };

export interface PeerProgress {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressStatus['state'];
  readonly isLearner: boolean;
}

export interface NodeStatus {
  readonly id: NodeId;
  readonly clusterId: string;
  readonly role: Role;
  readonly term: number;
  /** The known leader, 0 if none. */
  readonly leader: NodeId;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  /** The first index still in the Raft log (compaction point + 1). */
  readonly firstIndex: number;
  /** Index of the last snapshot taken or installed here. */
  readonly snapshotIndex: number;
  readonly revision: number;
  readonly confState: ConfState;
  /** On the leader: each member's replication progress (match index). */
  readonly progress: Readonly<Record<NodeId, PeerProgress>> | undefined;
  /** Work waiting on this node. */
  readonly pending: {
    readonly proposals: number;
    readonly reads: number;
    readonly forwarded: number;
  };
  readonly metrics: MetricsStatus;
}
