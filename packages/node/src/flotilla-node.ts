// The node's public API, one type for both ways of running it: in the
// caller's thread (InlineNode, what createNode returns) or in a worker thread
// behind a proxy (WorkerNode, openNode's default). `instanceof FlotillaNode`
// holds for both. The behaviour of each call is documented on InlineNode.
import type {
  AuthContext,
  AuthRequest,
  AuthView,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KvSnapshot,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseStatus,
  LeaseTimeToLiveResponse,
  KvHash,
  MemberRecord,
  MemberRequest,
  MemberView,
  NoopResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  Watcher,
  WatchRequest,
} from '@flotilla/kv';
import type { ConfChange, ConfState, NodeId, SnapshotMeta } from '@flotilla/raft';
import type { PeerAddress } from '@flotilla/transport';
import type { NodeEventName, NodeEvents } from './events.js';
import type { MemberNames } from './prometheus.js';
import type { NodeHeader, NodeStatus, ReadOptions, WithHeader, WriteOptions } from './types.js';

export interface LeaseKeepAliveResponse {
  readonly header: NodeHeader;
  readonly id: number;
  /** Seconds the lease now has. */
  readonly ttl: number;
}

export interface NodeLeaseTimeToLive extends WithHeader<LeaseTimeToLiveResponse> {
  /** Seconds left by the leader's lease clock. */
  readonly ttl: number;
}

export abstract class FlotillaNode {
  abstract readonly id: NodeId;
  abstract readonly clusterId: string;
  /** Where the transport listens (openNode: the bound port, useful with port 0). */
  abstract readonly listenAddress: PeerAddress | undefined;

  abstract ready(options?: { timeoutMs?: number }): Promise<void>;

  abstract put(request: PutRequest, options?: WriteOptions): Promise<WithHeader<PutResponse>>;
  abstract deleteRange(
    request: DeleteRangeRequest,
    options?: WriteOptions,
  ): Promise<WithHeader<DeleteRangeResponse>>;
  abstract txn(request: TxnRequest, options?: WriteOptions): Promise<WithHeader<TxnResponse>>;
  abstract compact(
    request: CompactionRequest,
    options?: WriteOptions,
  ): Promise<WithHeader<CompactionResponse>>;
  abstract range(request: RangeRequest, options?: ReadOptions): Promise<WithHeader<RangeResponse>>;
  abstract watch(request: WatchRequest): Watcher;

  abstract leaseGrant(
    request: LeaseGrantRequest,
    options?: WriteOptions,
  ): Promise<WithHeader<LeaseGrantResponse>>;
  abstract leaseRevoke(
    request: LeaseRevokeRequest,
    options?: WriteOptions,
  ): Promise<WithHeader<LeaseRevokeResponse>>;
  abstract leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse>;
  abstract leaseTimeToLive(id: number, options?: { keys?: boolean }): Promise<NodeLeaseTimeToLive>;
  abstract leaseLeases(): { header: NodeHeader; leases: LeaseStatus[] };

  abstract register(options: {
    clientId: string;
    auth?: AuthContext;
  }): Promise<WithHeader<NoopResponse>>;
  abstract authChange(
    request: AuthRequest,
    options?: WriteOptions,
  ): Promise<WithHeader<NoopResponse>>;
  abstract readonly auth: AuthView;

  abstract addLearner(id: NodeId, address?: PeerAddress): Promise<ConfState>;
  abstract addMember(member: MemberRecord, address?: PeerAddress): Promise<ConfState>;
  abstract promote(id: NodeId): Promise<ConfState>;
  abstract updateMember(
    request: MemberRequest & { kind: 'set' },
    options?: WriteOptions,
  ): Promise<WithHeader<NoopResponse>>;
  /** The replicated member metadata as applied here (read-only). */
  abstract readonly members: MemberView;
  /** A hash of the MVCC history up to `revision` (0: now), equal on members at the same applied state. */
  abstract hashKv(revision?: number): Promise<KvHash>;
  abstract removeMember(id: NodeId): Promise<ConfState>;
  abstract confChange(change: ConfChange): Promise<ConfState>;
  abstract transferLeadership(to: NodeId): Promise<void>;
  abstract addPeer(id: NodeId, address: PeerAddress): void;

  abstract snapshot(): Promise<SnapshotMeta>;
  abstract kvSnapshot(): Promise<KvSnapshot>;
  abstract status(): NodeStatus;
  abstract prometheusText(names?: MemberNames): string;
  abstract on<E extends NodeEventName>(
    name: E,
    listener: (event: NodeEvents[E]) => void,
  ): () => void;

  abstract close(): Promise<void>;
  abstract crash(): Promise<void>;
}
