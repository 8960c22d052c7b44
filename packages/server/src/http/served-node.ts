// What the HTTP layer needs from a node, and nothing more. The server is
// written against this narrow interface; `node-adapter.ts` implements it over
// @flotilla/node, and the interface keeps the HTTP code testable on its own.
import type {
  AuthContext,
  AuthRequest,
  AuthView,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KvHash,
  MemberRecord,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WatchRequest,
  WatchResponse,
} from '@flotilla/kv';

/** Exactly-once identity of an HTTP write (headers `x-flotilla-client-id`, `x-flotilla-seq`). */
export interface WriteContext {
  readonly clientId?: string;
  readonly seq?: number;
  /** The network caller, checked at apply (see @flotilla/kv AuthContext). */
  readonly auth?: AuthContext;
}

/** `lease`: the leader answers from its leader lease without a round when it holds one (see @flotilla/node). */
export type ReadConsistency = 'linearizable' | 'lease' | 'serializable';

export interface LeaseGrantResult {
  readonly id: number;
  readonly ttlSeconds: number;
  readonly revision: number;
}

export interface LeaseTtlResult {
  readonly id: number;
  /** Remaining seconds, or -1 when the lease does not exist (etcd's convention). */
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  readonly keys: readonly Uint8Array[];
}

export interface WatchStream extends AsyncIterable<WatchResponse> {
  cancel(): void;
  /** `catchingUp` while history is replayed (paced by its reader); live events are not waited for. */
  readonly state?: string;
}

/** A member as `member list` shows it: Raft's configuration joined with the replicated metadata (see @flotilla/kv MemberRecord). */
export type MemberInfo = MemberRecord;

export interface AddMemberRequest {
  readonly peerUrls: readonly string[];
  readonly isLearner: boolean;
  /** Flotilla extension: the member's name (its id derives from it); defaults to the first peer URL. */
  readonly name?: string;
  /** Flotilla extension: the member's client URLs, recorded with it (it also publishes them itself once it runs). */
  readonly clientUrls?: readonly string[];
  /** The caller's Authorization header, passed on when telling the other members (they check it too). */
  readonly authorization?: string;
}

export interface ServedStatus {
  readonly memberId: number;
  /** A decimal uint64 string, as etcd reports cluster ids. */
  readonly clusterId: string;
  readonly leaderId: number;
  readonly term: number;
  readonly role: string;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly revision: number;
  readonly isLearner: boolean;
  readonly dbSizeBytes: number;
}

export interface ServedNode {
  status(): ServedStatus;
  range(req: RangeRequest, consistency: ReadConsistency): Promise<RangeResponse>;
  put(req: PutRequest, ctx: WriteContext): Promise<PutResponse>;
  deleteRange(req: DeleteRangeRequest, ctx: WriteContext): Promise<DeleteRangeResponse>;
  txn(req: TxnRequest, ctx: WriteContext): Promise<TxnResponse>;
  compact(req: CompactionRequest, ctx: WriteContext): Promise<CompactionResponse>;
  leaseGrant(req: { id: number; ttlSeconds: number }, ctx: WriteContext): Promise<LeaseGrantResult>;
  leaseRevoke(id: number, ctx: WriteContext): Promise<{ revision: number }>;
  /** Rejects with LeaseNotFoundError for an unknown lease. */
  leaseKeepAlive(id: number): Promise<{ id: number; ttlSeconds: number }>;
  leaseTimeToLive(id: number, withKeys: boolean): Promise<LeaseTtlResult>;
  leases(): Promise<readonly number[]>;
  watch(req: WatchRequest): WatchStream;
  members(): Promise<readonly MemberInfo[]>;
  addMember(req: AddMemberRequest): Promise<MemberInfo>;
  removeMember(id: number): Promise<void>;
  promoteMember(id: number): Promise<void>;
  moveLeader(toId: number): Promise<void>;
  /** etcd's MemberUpdate: new peer URLs for member `id`, through the log. Rejects with MemberNotFoundError. */
  updateMember(id: number, peerUrls: readonly string[]): Promise<void>;
  /** etcd's HashKV: a hash of this member's MVCC history up to `revision` (0: the current one). */
  hashKv(revision: number): Promise<KvHash>;
  /** Another member announces a new peer (POST /flotilla/peer/add): remember its URLs and dial it. */
  learnPeer(entry: {
    id: number;
    name: string;
    peerUrls: readonly string[];
    clientUrls: readonly string[];
  }): void;
  /** This member's applied auth state. */
  auth(): AuthView;
  /** Proposes an auth change (passwords already hashed). */
  authChange(req: AuthRequest, ctx: WriteContext): Promise<{ revision: number }>;
  /** Registers the exactly-once client id `ctx.clientId` (kv's `register`, seq 1; see @flotilla/kv). */
  register(ctx: WriteContext & { clientId: string }): Promise<{ revision: number }>;
  /** Resolves once this member has applied every entry committed before the call (a linearizable read barrier). */
  syncAuth(): Promise<void>;
  /** Whether `id` is a voter or learner now. */
  isMember(id: number): boolean;
  /** Latency summaries for /flotilla/status. */
  metrics(): NodeMetricsSnapshot;
  /** The node's metric families for /metrics, in the Prometheus text format (members labelled by name). */
  metricsText(): string;
}

/** Node-level numbers for /flotilla/status, in seconds unless named otherwise. */
export interface NodeMetricsSnapshot {
  readonly commitLatencySeconds?: Quantiles;
  /** Per follower id: leader commit → follower apply. */
  readonly stateLatencySeconds?: ReadonlyMap<number, Quantiles>;
  readonly applyLagEntries: number;
  readonly leaderChanges: number;
  /** The last failover's time without a usable leader, if one happened. */
  readonly lastRtoSeconds?: number;
}

export interface Quantiles {
  readonly p50: number;
  readonly p99: number;
  readonly count: number;
}
