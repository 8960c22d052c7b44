// The running node's API: etcd's KV, lease and watch calls in-process,
// status and events, membership, and stopping (gracefully or as a crash).
import {
  decodeCommand,
  encodeCommand,
  LeaseNotFoundError,
  type ApplyResult,
  type AuthRequest,
  type AuthView,
  type NoopResponse,
  type AuthContext,
  type Command,
  type CommandEnvelope,
  type CompactionRequest,
  type CompactionResponse,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type KvHash,
  type KvSnapshot,
  type KvStateMachine,
  type LeaseGrantRequest,
  type LeaseGrantResponse,
  type LeaseRevokeRequest,
  type LeaseRevokeResponse,
  type LeaseStatus,
  type LeaseTimeToLiveResponse,
  type MemberRecord,
  type MemberRequest,
  type MemberView,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type TxnRequest,
  type TxnResponse,
  type Watcher,
  type WatchRequest,
} from '@flotilla/kv';
import type { Identify } from './forwarder.js';
import {
  NONE,
  NotLeaderError,
  type ConfChange,
  type ConfState,
  type NodeId,
  type SnapshotMeta,
} from '@flotilla/raft';
import type { Clock, PeerAddress, Transport } from '@flotilla/transport';
import type { DriverHooks, DriverView } from './driver-view.js';
import {
  FlotillaNode,
  type LeaseKeepAliveResponse,
  type NodeLeaseTimeToLive,
} from './flotilla-node.js';
import {
  failureCategory,
  invariant,
  NodeClosedError,
  NodeFailedError,
  NodeOptionsError,
  RequestTimeoutError,
} from './errors.js';
import type { Emitter, NodeEventName, NodeEvents } from './events.js';
import { renderNodeMetrics, type MemberNames } from './prometheus.js';
import type { ForwardOp } from './wire.js';
import type {
  NodeHeader,
  NodeStatus,
  PeerProgress,
  ReadOptions,
  WithHeader,
  WriteOptions,
} from './types.js';

export type { LeaseKeepAliveResponse, NodeLeaseTimeToLive } from './flotilla-node.js';

interface NodeParts {
  readonly id: NodeId;
  readonly clusterId: string;
  /** Builds this node's driver around the node's own request server (forwarded requests it serves as leader). */
  readonly driver: (hooks: DriverHooks) => DriverView;
  readonly kv: KvStateMachine;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly events: Emitter;
  readonly transferTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** Extra work after the node stopped (openNode closes its storage here). */
  readonly onStopped: () => Promise<void>;
  readonly listenAddress: PeerAddress | undefined;
}

/** The node in the caller's thread (createNode; openNode with `thread: 'inline'`). */
export class InlineNode extends FlotillaNode {
  readonly id: NodeId;
  readonly clusterId: string;
  /** Where the transport listens (openNode: the bound port, useful with port 0). */
  readonly listenAddress: PeerAddress | undefined;
  private readonly d: DriverView;
  private readonly kv: KvStateMachine;
  private stopping: Promise<void> | undefined;
  /** Set when the node stopped itself after a failure (see fail). */
  private failure: NodeFailedError | undefined;

  constructor(private readonly parts: NodeParts) {
    super();
    this.id = parts.id;
    this.clusterId = parts.clusterId;
    this.listenAddress = parts.listenAddress;
    this.kv = parts.kv;
    this.followMemberTable();
    // Forwarded requests arrive only once the driver has started, after this constructor.
    this.d = parts.driver({
      serveRequest: (req) => this.serve(req),
      onFailed: (err) => this.fail(err),
    });
    this.d.start();
  }

  // ---- readiness -------------------------------------------------------------

  /**
   * Resolves once a leader is known and this node can serve linearizable
   * requests (a read-index round went through it and its state caught up);
   * rejects with RequestTimeoutError after `timeoutMs` (default readTimeoutMs).
   * Not needed before requests (they wait for a leader themselves): it is for
   * callers that want to know, such as a readiness probe. A node that does not
   * forward (`forwardToLeader: false`) is ready once a leader is known (and, if
   * it is the leader, once it can serve reads).
   */
  async ready(options?: { timeoutMs?: number }): Promise<void> {
    this.checkOpen('ready');
    const timeoutMs = options?.timeoutMs ?? this.parts.readTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new NodeOptionsError(`ready: timeoutMs must be a positive number, got ${timeoutMs}`);
    const deadlineMs = this.parts.clock.now() + timeoutMs;
    const timedOut = (): RequestTimeoutError =>
      new RequestTimeoutError(
        'ready (a leader known and a linearizable read through this node)',
        timeoutMs,
      );
    if (!this.forwarding) {
      await this.leaderKnown(deadlineMs, timedOut);
      if (this.d.role !== 'leader') return;
    }
    try {
      await this.readBarrier('linearizable', deadlineMs);
    } catch (err) {
      throw err instanceof RequestTimeoutError ? timedOut() : err;
    }
  }

  /** Waits until some leader is known (bounded by `deadlineMs`). */
  private leaderKnown(deadlineMs: number, timedOut: () => Error): Promise<void> {
    if (this.d.leader !== NONE) return Promise.resolve();
    const { clock, events } = this.parts;
    return new Promise<void>((resolve, reject) => {
      const off = events.on('leaderChanged', (e) => {
        if (e.leader === NONE) return;
        off();
        clock.clearTimer(timer);
        resolve();
      });
      const timer = clock.setTimer(Math.max(0, deadlineMs - clock.now()), () => {
        off();
        reject(timedOut());
      });
    });
  }

  // ---- KV ------------------------------------------------------------------

  put(request: PutRequest, options?: WriteOptions): Promise<WithHeader<PutResponse>> {
    return this.write({ op: 'put', request }, options);
  }

  deleteRange(
    request: DeleteRangeRequest,
    options?: WriteOptions,
  ): Promise<WithHeader<DeleteRangeResponse>> {
    return this.write({ op: 'deleteRange', request }, options);
  }

  txn(request: TxnRequest, options?: WriteOptions): Promise<WithHeader<TxnResponse>> {
    return this.write({ op: 'txn', request }, options);
  }

  compact(
    request: CompactionRequest,
    options?: WriteOptions,
  ): Promise<WithHeader<CompactionResponse>> {
    return this.write({ op: 'compact', request }, options);
  }

  async range(request: RangeRequest, options?: ReadOptions): Promise<WithHeader<RangeResponse>> {
    const consistency = options?.consistency ?? 'linearizable';
    if (consistency !== 'serializable') await this.readBarrier(consistency);
    return this.withHeader(await this.kv.range(request));
  }

  /** Watches this node's applied state (see @flotilla/kv Watcher). Cancelled when the node stops or installs a snapshot. */
  watch(request: WatchRequest): Watcher {
    this.checkOpen('watch');
    return this.kv.watch(request);
  }

  // ---- leases --------------------------------------------------------------

  leaseGrant(
    request: LeaseGrantRequest,
    options?: WriteOptions,
  ): Promise<WithHeader<LeaseGrantResponse>> {
    return this.write({ op: 'leaseGrant', request }, options);
  }

  leaseRevoke(
    request: LeaseRevokeRequest,
    options?: WriteOptions,
  ): Promise<WithHeader<LeaseRevokeResponse>> {
    return this.write({ op: 'leaseRevoke', request }, options);
  }

  /** Renews a lease on the leader's lease clock (forwarded from a follower). */
  async leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse> {
    const ttl = (await this.onLeader({ op: 'leaseKeepAlive', id })) as number;
    return { header: this.header(), id, ttl };
  }

  async leaseTimeToLive(id: number, options?: { keys?: boolean }): Promise<NodeLeaseTimeToLive> {
    const r = (await this.onLeader({
      op: 'leaseTimeToLive',
      id,
      keys: options?.keys ?? false,
    })) as LeaseTimeToLiveResponse & { ttl: number };
    return { ...r, header: this.header(r.header.revision) };
  }

  /** The leases in this node's applied state. */
  leaseLeases(): { header: NodeHeader; leases: LeaseStatus[] } {
    this.checkOpen('leaseLeases');
    return { header: this.header(), leases: this.kv.leaseList() };
  }

  // ---- exactly-once sessions -----------------------------------------------

  /**
   * Registers an exactly-once client id (@flotilla/kv's `register`, at seq 1):
   * do it before the id's first write, which takes seq 2. Harmless to repeat.
   */
  register(options: { clientId: string; auth?: AuthContext }): Promise<WithHeader<NoopResponse>> {
    return this.write({ op: 'register' }, { ...options, seq: 1 });
  }

  // ---- auth ----------------------------------------------------------------

  /** Proposes an auth change (users, roles, enable/disable); passwords arrive hashed. See @flotilla/kv AuthRequest. */
  authChange(request: AuthRequest, options?: WriteOptions): Promise<WithHeader<NoopResponse>> {
    return this.write({ op: 'auth', request }, options);
  }

  /** @internal Lease grants and revocations applied (kv's counter; the worker node's lease mirror follows it). */
  get leaseChanges(): number {
    return this.kv.leaseChanges;
  }

  /** @internal A watcher's buffer (kv's watchBufferEventsMax): the worker node's window per watch. */
  get watchBufferEventsMax(): number {
    return this.kv.limits.watchBufferEventsMax;
  }

  /** This node's applied auth state (read-only; as fresh as its applied index). */
  get auth(): AuthView {
    return this.kv.auth;
  }

  // ---- membership ----------------------------------------------------------

  /** Adds a non-voting member. Give its address if the transport needs one (TCP); every member must learn it (see addPeer). */
  async addLearner(id: NodeId, address?: PeerAddress): Promise<ConfState> {
    if (address !== undefined) this.addPeer(id, address);
    return this.confChange({ changes: [{ op: 'addLearner', nodeId: id }] });
  }

  /**
   * Adds a voter or learner with its metadata (name, peer and client URLs): the
   * conf-change entry carries them, so every member records them in its
   * replicated member table when it applies the entry (see `members`).
   */
  addMember(member: MemberRecord, address?: PeerAddress): Promise<ConfState> {
    if (address !== undefined) this.addPeer(member.id, address);
    const op = member.isLearner ? 'addLearner' : 'addVoter';
    return this.confChange({
      changes: [{ op, nodeId: member.id }],
      context: memberContext({ kind: 'set', ...member }),
    });
  }

  /** Makes a learner a voter. */
  promote(id: NodeId): Promise<ConfState> {
    return this.confChange({
      changes: [{ op: 'addVoter', nodeId: id }],
      context: memberContext({ kind: 'set', id, isLearner: false }),
    });
  }

  removeMember(id: NodeId): Promise<ConfState> {
    return this.confChange({
      changes: [{ op: 'removeNode', nodeId: id }],
      context: memberContext({ kind: 'remove', id }),
    });
  }

  /** Changes a member's metadata (peer URLs, its published name and client URLs) through the log. */
  updateMember(
    request: MemberRequest & { kind: 'set' },
    options?: WriteOptions,
  ): Promise<WithHeader<NoopResponse>> {
    return this.write({ op: 'member', request }, options);
  }

  /** The replicated member metadata as applied here (read-only). Raft's configuration (`status().confState`) says who is a member. */
  get members(): MemberView {
    return this.kv.members;
  }

  /** A hash of this member's MVCC history up to `revision` (0: now), equal on members at the same applied state. */
  hashKv(revision = 0): Promise<KvHash> {
    this.checkOpen('hashKv');
    return this.kv.hashKv(revision);
  }

  /** Any membership change (several voter changes go through joint consensus). Resolves once applied here. */
  async confChange(change: ConfChange): Promise<ConfState> {
    await this.propose({ kind: 'conf', change });
    return this.d.rawStatus().confState;
  }

  /** Hands leadership to `to` and resolves once it leads (a follower forwards the request to the leader). */
  async transferLeadership(to: NodeId): Promise<void> {
    this.checkOpen('transferLeadership');
    if (this.d.role === 'leader') await this.transferHere(to);
    else await this.onLeader({ op: 'transfer', to });
  }

  /** Tells the transport where a (new) member listens. Needed on every member for TCP; no-op for transports without addresses. */
  addPeer(id: NodeId, address: PeerAddress): void {
    const t = this.parts.transport as Transport & {
      addPeer?: (id: NodeId, address: PeerAddress) => void;
    };
    if (id !== this.id) t.addPeer?.(id, address);
  }

  // ---- snapshots, status, events ------------------------------------------

  /** Takes a snapshot now (also taken automatically every snapshotEntries entries). */
  async snapshot(): Promise<SnapshotMeta> {
    const running = await this.d.inLoop(() => this.d.snapshot());
    return running;
  }

  /**
   * A consistent stream of this node's applied KV state at one applied index
   * (kv's snapshot chunks), taken without pausing applies. Used for backups;
   * call close() on it if the chunks are not read to the end.
   */
  kvSnapshot(): Promise<KvSnapshot> {
    this.checkOpen('kvSnapshot');
    return this.kv.snapshot();
  }

  status(): NodeStatus {
    const d = this.d;
    const st = d.rawStatus();
    let progress: Record<NodeId, PeerProgress> | undefined;
    if (st.progress !== undefined) {
      progress = {};
      for (const [id, pr] of st.progress)
        progress[id] = { match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner };
    }
    return {
      id: this.id,
      clusterId: this.clusterId,
      role: d.role,
      term: d.term,
      leader: d.leader,
      commitIndex: d.commitIndex,
      appliedIndex: d.appliedIndex,
      lastIndex: st.lastIndex,
      firstIndex: st.firstIndex,
      snapshotIndex: d.snapshotIndex,
      revision: this.kv.revision,
      confState: st.confState,
      progress,
      pending: d.pendingCounts(),
      metrics: d.metrics.status(
        Math.max(0, d.commitIndex - d.appliedIndex),
        d.commitIndex,
        d.role === 'leader',
      ),
    };
  }

  /**
   * This node's metrics in the Prometheus text format (latency histograms in
   * seconds, counters, gauges; see README). Followers are labelled with
   * `names` (a map or a lookup by id), or with their id where it has none.
   */
  prometheusText(names?: MemberNames): string {
    const d = this.d;
    return renderNodeMetrics(
      d.metrics,
      {
        term: d.term,
        isLeader: d.role === 'leader',
        hasLeader: d.leader !== NONE,
        commitIndex: d.commitIndex,
        appliedIndex: d.appliedIndex,
        pendingProposals: d.pendingCounts().proposals,
        peerHandshakeFailures: (
          this.parts.transport as { handshakeFailures?: () => Record<string, number | undefined> }
        ).handshakeFailures?.(),
      },
      names,
    );
  }

  on<E extends NodeEventName>(name: E, listener: (event: NodeEvents[E]) => void): () => void {
    return this.parts.events.on(name, listener);
  }

  /** Emits membersChanged when an apply or a snapshot install changed the member table. */
  private followMemberTable(): void {
    let view = this.kv.members; // a new object after a snapshot install
    let changes = view.changes;
    const check = (): void => {
      const now = this.kv.members;
      if (now === view && now.changes === changes) return;
      view = now;
      changes = now.changes;
      this.parts.events.emit('membersChanged', { members: now.list() });
    };
    this.parts.events.on('applied', check);
    this.parts.events.on('snapshot', check);
  }

  // ---- stopping ------------------------------------------------------------

  /**
   * Stops cleanly: the batch being written completes, the transport closes,
   * watchers end. Requests still waiting fail (NodeClosedError, or
   * UnknownOutcomeError for writes already in the log). Everything
   * acknowledged was synced before it was acknowledged, so nothing is lost.
   */
  close(): Promise<void> {
    this.stopping ??= this.stop(true);
    return this.stopping;
  }

  /**
   * Stops at once, as if the process died: nothing more is sent (not even the
   * acknowledgements of a batch being written), nothing is flushed. Restart by
   * creating a node on the same storage (for MemoryStorage: `storage.crash()`).
   */
  crash(): Promise<void> {
    this.stopping ??= this.stop(false);
    return this.stopping;
  }

  private async stop(graceful: boolean, failure?: NodeFailedError): Promise<void> {
    await this.d.stop(graceful, failure);
    await this.kv.close();
    await this.parts.onStopped();
  }

  /**
   * The driver loop threw: a storage write or the state machine failed, or an
   * invariant broke. Nothing after it can be trusted to reach the disk, so the
   * node stops as if it crashed (nothing more is sent), everything pending and
   * later fails with NodeFailedError, and 'failed' fires once the storage is
   * closed. The host decides what comes next (`flotilla start` exits non-zero).
   */
  private fail(err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    const failure = new NodeFailedError(reason, { cause: err });
    this.failure = failure;
    this.stopping ??= this.stop(false, failure);
    const category = failureCategory(err);
    const failed = () => this.parts.events.emit('failed', { reason, category });
    this.stopping.then(failed, failed);
  }

  // ---- internals -------------------------------------------------------------

  /** The error for a call on a node that is closed, or that stopped because it failed. */
  private closedError(operation: string): Error {
    return this.failure ?? new NodeClosedError(operation);
  }

  private checkOpen(operation: string): void {
    if (this.stopping !== undefined) throw this.closedError(operation);
  }

  private header(revision = this.kv.revision): NodeHeader {
    return { clusterId: this.clusterId, memberId: this.id, revision, raftTerm: this.d.term };
  }

  private withHeader<T extends { header: { revision: number } }>(response: T): WithHeader<T> {
    return { ...response, header: this.header(response.header.revision) };
  }

  private async write<R extends { header: { revision: number } }>(
    cmd: Command,
    options?: WriteOptions,
  ): Promise<WithHeader<R>> {
    const data = encodeCommand(
      envelopeOf(cmd, options?.clientId, options?.seq ?? 0, options?.auth),
    );
    // Without an identity of its own, a write a follower forwards gets one of the follower's (see forward-lanes.ts).
    const identify: Identify | undefined =
      options?.clientId === undefined
        ? (clientId, seq, register = false) =>
            encodeCommand(
              envelopeOf(register ? { op: 'register' } : cmd, clientId, seq, options?.auth),
            )
        : undefined;
    const result = await this.propose({ kind: 'entry', data, identify });
    invariant(result !== undefined, 'a normal entry was applied without a result');
    if (!result.ok) throw result.error;
    this.trackLease(cmd, result);
    return this.withHeader(result.response as R);
  }

  private propose(
    p:
      | { kind: 'entry'; data: Uint8Array; identify?: Identify | undefined }
      | { kind: 'conf'; change: ConfChange },
    forwardable = true,
  ): Promise<ApplyResult | undefined> {
    if (this.stopping !== undefined) return Promise.reject(this.closedError('propose'));
    return new Promise((resolve, reject) => {
      const failed = (err: Error): void => {
        this.d.metrics.proposalsFailed++;
        reject(err);
      };
      // Field by field: a spread of `p` here made every proposal a slow dictionary object
      // (≈ 1.4 KB of garbage per write, benchmarks/node/apply-garbage.ts).
      this.d.propose({
        kind: p.kind,
        data: p.kind === 'entry' ? p.data : undefined,
        change: p.kind === 'conf' ? p.change : undefined,
        identify: p.kind === 'entry' ? p.identify : undefined,
        acceptedAtMs: this.parts.clock.now(),
        forwardable,
        resolve,
        reject: failed,
      });
    });
  }

  /** The leader's lease clock follows grants and revokes it applies. */
  private trackLease(cmd: Command, result: ApplyResult): void {
    if (!result.ok || this.d.role !== 'leader') return;
    const now = this.parts.clock.now();
    if (cmd.op === 'leaseGrant') {
      const r = result.response as LeaseGrantResponse;
      this.d.leaseClocks.granted(r.id, r.ttl, now);
    } else if (cmd.op === 'leaseRevoke') {
      this.d.leaseClocks.gone([cmd.request.id]);
    }
  }

  private readBarrier(
    consistency: 'linearizable' | 'lease',
    deadlineMs = this.parts.clock.now() + this.parts.readTimeoutMs,
  ): Promise<void> {
    if (this.stopping !== undefined) return Promise.reject(this.closedError('read'));
    return new Promise((resolve, reject) => {
      const read = { deadlineMs, resolve, reject };
      if (consistency === 'lease') this.d.leaseRead(read);
      else this.d.readIndex(read);
    });
  }

  /**
   * Runs `req` on the leader: here if this node leads, else forwarded (or
   * NotLeaderError when forwarding is off). With no leader known yet it waits
   * for one (bounded by forwardTimeoutMs), forwarding or not.
   */
  private async onLeader(req: ForwardOp): Promise<unknown> {
    this.checkOpen(req.op);
    if (this.d.role === 'leader') return this.serve(req);
    if (!this.forwarding && this.d.leader !== NONE) throw new NotLeaderError(this.d.leader, req.op);
    return this.d.forward(req);
  }

  private get forwarding(): boolean {
    return this.d.forwardToLeader;
  }

  /** A request this node serves as leader (its own, or forwarded by a follower). */
  private async serve(req: ForwardOp): Promise<unknown> {
    if (this.stopping !== undefined) throw this.closedError(req.op);
    const now = this.parts.clock.now();
    switch (req.op) {
      case 'propose': {
        const decoded = decodeCommand(req.data, this.kv.limits);
        // Proposed back to back, so that no other client's entry between them can evict the new id
        // (with a tiny exactly-once table); if the register fails, the write shows it ("session expired").
        if (req.register !== undefined)
          this.propose({ kind: 'entry', data: req.register }, false).catch(() => undefined);
        const result = await this.propose({ kind: 'entry', data: req.data }, false);
        invariant(result !== undefined, 'a normal entry was applied without a result');
        if (!result.ok) throw result.error;
        if (decoded.ok) this.trackLease(decoded.envelope.cmd, result);
        return result.response;
      }
      case 'confChange':
        await this.propose({ kind: 'conf', change: req.change }, false);
        return null;
      case 'transfer':
        if (this.d.role !== 'leader') throw new NotLeaderError(this.d.leader, 'transferLeadership');
        await this.transferHere(req.to);
        return null;
      case 'leaseKeepAlive': {
        this.requireLeader('leaseKeepAlive');
        // A deposed leader that does not know it yet must not renew: the new leader may already be
        // expiring the lease, and the holder would count on a TTL nobody keeps. So the renewal waits
        // until this node's leadership is confirmed now (its leader lease, or a read-index round).
        await this.readBarrier('lease');
        this.requireLeader('leaseKeepAlive');
        const ttl = this.d.leaseClocks.keepAlive(req.id, this.parts.clock.now());
        if (ttl === undefined) throw LeaseNotFoundError.of(req.id);
        return ttl;
      }
      case 'leaseTimeToLive': {
        this.requireLeader('leaseTimeToLive');
        const facts = this.kv.leaseTimeToLive(req.id, req.keys);
        const remainingMs = this.d.leaseClocks.remainingMs(req.id, now) ?? 0;
        return { ...facts, ttl: Math.ceil(remainingMs / 1000) };
      }
      default: {
        const never: never = req;
        throw new Error(`unknown request ${JSON.stringify(never)}`);
      }
    }
  }

  private requireLeader(operation: string): void {
    if (this.d.role !== 'leader') throw new NotLeaderError(this.d.leader, operation);
  }

  private async transferHere(to: NodeId): Promise<void> {
    const r = await this.d.inLoop((raw) => raw.transferLeadership(to));
    if (!r.ok) throw r.error;
    if (to === this.id || this.d.leader === to) return;
    const { clock, events, transferTimeoutMs } = this.parts;
    await new Promise<void>((resolve, reject) => {
      const off = events.on('leaderChanged', (e) => {
        if (e.leader !== to) return;
        off();
        clock.clearTimer(timer);
        resolve();
      });
      const timer = clock.setTimer(transferTimeoutMs, () => {
        off();
        reject(new RequestTimeoutError(`transferLeadership to ${to}`, transferTimeoutMs));
      });
    });
  }
}

/** A conf change's context: the member command applied with it. */
function memberContext(request: MemberRequest): Uint8Array {
  return encodeCommand({ cmd: { op: 'member', request } });
}

/**
 * The envelope of a write, with only the fields it has, in the order the codec always saw them
 * (equal writes encode to equal bytes). Built by assignment: spreads of optional parts made a
 * dictionary object per write.
 */
function envelopeOf(
  cmd: Command,
  clientId: string | undefined,
  seq: number,
  auth: AuthContext | undefined,
): CommandEnvelope {
  const envelope: CommandEnvelope = {} as CommandEnvelope;
  if (clientId !== undefined) {
    envelope.clientId = clientId;
    envelope.seq = seq;
  }
  if (auth) envelope.auth = auth;
  envelope.cmd = cmd;
  return envelope;
}
