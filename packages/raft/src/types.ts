// The data the Raft core exchanges with the world. Everything here is plain
// data (no classes), so msgpackr can encode it without extensions and the
// storage and transport packages can depend on these types alone.

/** A node's id within one cluster: a positive integer, never reused. */
export type NodeId = number;

/** The id of "no node" (no vote cast, no leader known). */
export const NONE: NodeId = 0;

/** An ordinary entry: opaque bytes for the state machine (empty = the leader's no-op). */
export interface NormalEntry {
  readonly type: 'normal';
  readonly term: number;
  readonly index: number;
  readonly data: Uint8Array;
}

/** A membership change, applied to the configuration when the entry is applied. */
export interface ConfChangeEntry {
  readonly type: 'confChange';
  readonly term: number;
  readonly index: number;
  readonly change: ConfChange;
}

export type Entry = NormalEntry | ConfChangeEntry;

/** One step of a membership change. */
export interface ConfChangeSingle {
  readonly op: 'addVoter' | 'addLearner' | 'removeNode';
  readonly nodeId: NodeId;
}

/**
 * A membership change. `changes` empty means "leave the joint configuration".
 * More than one voter change (or `joint: true`) goes through joint consensus;
 * the leader proposes the leave entry itself once the joint entry is applied.
 */
export interface ConfChange {
  readonly changes: readonly ConfChangeSingle[];
  readonly joint?: boolean;
  /**
   * Opaque bytes for the state machine, applied with the entry (the node
   * layer carries member metadata here). The core never reads them.
   */
  readonly context?: Uint8Array;
}

/**
 * The cluster configuration. `votersOutgoing` is non-empty only while in a
 * joint configuration (C_old,new): then a quorum is a majority of both sets.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Learners that become voters when the joint configuration is left. */
  readonly learnersNext: readonly NodeId[];
}

/** What must survive a crash besides the log (Raft paper Figure 2). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** A snapshot of the state machine at `meta.index`. `data` is opaque to the core. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** What every message carries: sender, recipient and the sender's term. */
export interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** Messages between cores. A discriminated union on `type`. */
export type Message =
  | (Envelope & {
      readonly type: 'preVote';
      readonly lastLogIndex: number;
      readonly lastLogTerm: number;
    })
  | (Envelope & { readonly type: 'preVoteResp'; readonly reject: boolean })
  | (Envelope & {
      readonly type: 'vote';
      readonly lastLogIndex: number;
      readonly lastLogTerm: number;
      /** Set by a leadership transfer: voters skip the leader-lease check. */
      readonly transfer: boolean;
    })
  | (Envelope & { readonly type: 'voteResp'; readonly reject: boolean })
  | (Envelope & {
      readonly type: 'append';
      readonly prevIndex: number;
      readonly prevTerm: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
    })
  | (Envelope & {
      readonly type: 'appendResp';
      readonly reject: boolean;
      /** On success: the last index now known to match. On reject: the rejected prevIndex. */
      readonly index: number;
      /** On reject: a hint for fast back-off (the follower's guess of the match point). */
      readonly rejectHint: number;
      /** On reject: the term of the follower's entry at rejectHint (0 if none). */
      readonly hintTerm: number;
    })
  | (Envelope & { readonly type: 'heartbeat'; readonly commit: number; readonly context: string })
  | (Envelope & { readonly type: 'heartbeatResp'; readonly context: string })
  /**
   * InstallSnapshot. The core emits it with `snapshot.data` EMPTY (it holds no
   * state-machine data): the driver fills in `data` from its snapshot store
   * for `snapshot.meta.index` before sending, then calls reportSnapshot().
   */
  | (Envelope & { readonly type: 'snapshot'; readonly snapshot: Snapshot })
  | (Envelope & { readonly type: 'timeoutNow' })
  /**
   * A follower asks the leader for a read index on behalf of its client. Sent
   * with term 0: it is a request, not a Raft RPC, so it moves no terms.
   */
  | (Envelope & { readonly type: 'readIndex'; readonly context: string })
  | (Envelope & {
      readonly type: 'readIndexResp';
      readonly index: number;
      readonly context: string;
      readonly reject: boolean;
    });

export type MessageType = Message['type'];

/** A read that may be served once the local applied index reaches `index`. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

/**
 * A read-index request that will never produce a ReadState: fail the client
 * request (it may retry). 'leaderChanged': the leader lost leadership before
 * confirming it; 'rejectedByLeader': the leader refused a forwarded request.
 */
export interface DroppedRead {
  readonly context: string;
  readonly reason: 'leaderChanged' | 'rejectedByLeader';
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state, reported when it changes; never persisted. */
export interface SoftState {
  readonly role: Role;
  readonly leader: NodeId;
}

/**
 * One batch of work for the driver. The ORDER is part of the contract:
 *
 * 1. `earlyMessages` may be sent at once, before anything is persisted. These
 *    are only the leader's appends and heartbeats: the leader may replicate
 *    before its own write is durable (Raft thesis §10.2.1); it counts itself
 *    in the quorum only after `advance` reports its entries persisted. A Ready
 *    whose `hardState` changes the term or vote has no `earlyMessages`: its
 *    appends are in `messages`, sent once the new term is durable.
 * 2. Persist `snapshot` (if any), then `entries` and `hardState` (if any), in
 *    one synced write when `mustSync` is true.
 * 3. Only then send `messages`: they acknowledge persisted state (votes,
 *    append responses), so sending them earlier could lose acknowledged data.
 * 4. If `snapshot` is set, install it in the state machine first. Then apply
 *    `committedEntries` in order (they are committed and durable here), and
 *    release each `readStates` entry once applied ≥ its index. Conf-change
 *    entries take effect inside the core when `advance` acknowledges them.
 * 5. Call `advance(ready)`. Do not call `ready()` again before that.
 *
 * `entries` may start at an index ≤ the stored last index: the stored suffix
 * from `entries[0].index` on must then be replaced (a conflict truncation).
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
  readonly committedEntries: readonly Entry[];
  readonly earlyMessages: readonly Message[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** Read requests that failed (leadership lost, refused): answer their clients with an error. */
  readonly droppedReads: readonly DroppedRead[];
  readonly mustSync: boolean;
}

/** Per-follower replication state as the leader sees it. */
export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: 'probe' | 'replicate' | 'snapshot';
  readonly recentActive: boolean;
  readonly inflight: number;
  readonly isLearner: boolean;
}

/** A snapshot of the core's state for status pages and tests. */
export interface Status {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: number;
  readonly lastIndex: number;
  readonly firstIndex: number;
  /** The last index the driver reported persisted (through advance). */
  readonly persistedIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: NodeId;
  /** Present only on the leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | undefined;
}
