// The host's side of a node running in a worker thread (openNode's default):
// the FlotillaNode API as a proxy. Calls go to the worker as messages and
// resolve with its answers; errors come back as the same classes (name and
// fields), so `instanceof` and error mapping work as with an inline node.
// What the API reads synchronously (status, metrics text, the lease list, the
// auth state) is a mirror the worker keeps current by pushing changes; events
// and watch responses are forwarded. A worker that ends unasked fails every
// pending and later call with NodeWorkerExitedError and emits 'workerExit', then 'failed'.
import type {
  AuthView,
  KvHash,
  KvSnapshot,
  LeaseStatus,
  MemberRecord,
  MemberRequest,
  MemberView,
  NoopResponse,
  Watcher,
  WatchRequest,
  WatchResponse,
} from '@flotilla/kv';
import type { ConfChange, ConfState, NodeId, SnapshotMeta } from '@flotilla/raft';
import type { Logger, PeerAddress } from '@flotilla/transport';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { failureCategory, NodeClosedError } from '../errors.js';
import { NodeWorkerExitedError } from './worker-exited-error.js';
import { reviveError } from './revive-error.js';
import { Emitter, type NodeEventName, type NodeEvents } from '../events.js';
import { escapeLabelValue } from '../exposition.js';
import {
  FlotillaNode,
  type LeaseKeepAliveResponse,
  type NodeLeaseTimeToLive,
} from '../flotilla-node.js';
import type { OpenNodeOptions } from '../open-node-options.js';
import { memberName, type MemberNames } from '../prometheus.js';
import type { NodeHeader, NodeStatus, ReadOptions, WithHeader, WriteOptions } from '../types.js';
import { AuthMirror } from './auth-mirror.js';
import { MemberMirror } from './member-mirror.js';
import type { CallMethod, FromWorker, Hello, ToWorker } from './protocol.js';
import { MetricsRequest } from './metrics-request.js';
import { remoteSnapshot } from './remote-snapshot.js';
import { RemoteWatcher } from './remote-watcher.js';
import { workerInit } from './worker-init.js';
import { spawnNodeWorker } from './worker-spawn.js';

/** Messages and the posts that carried them, each way (the benchmark reports the batching). */
export interface HopCounters {
  messagesSent: number;
  postsSent: number;
  messagesReceived: number;
  postsReceived: number;
}

/** The longest prometheusText() waits for the worker to render its page. */
const METRICS_WAIT_MS = 2_000;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

/** Opens the node in a new worker thread; resolves once it is open there (or rejects with its error). */
export function openWorkerNode(options: OpenNodeOptions): Promise<FlotillaNode> {
  const metrics = new MessageChannel();
  const metricsSignal = new Int32Array(new SharedArrayBuffer(4));
  let worker: Worker;
  try {
    worker = spawnNodeWorker(workerInit(options, metrics.port2, metricsSignal));
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise<FlotillaNode>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error): void => {
      lastError = err;
    };
    const onExit = (code: number): void => {
      worker.off('message', onHello);
      reject(new NodeWorkerExitedError(code, lastError?.message ?? 'before the node opened'));
    };
    const onHello = (hello: Hello | FromWorker[]): void => {
      if (Array.isArray(hello)) {
        for (const m of hello) if (m.t === 'log') relayLog(options.logger, m);
        return;
      }
      worker.off('message', onHello);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (hello.t === 'openFailed') {
        void worker.terminate();
        reject(reviveError(hello.error));
        return;
      }
      resolve(new WorkerNode(worker, hello, options.logger, metrics.port1, metricsSignal));
    };
    worker.on('message', onHello);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

function relayLog(logger: Logger | undefined, m: Extract<FromWorker, { t: 'log' }>): void {
  logger?.[m.level](m.obj, m.msg);
}

export class WorkerNode extends FlotillaNode {
  readonly id: NodeId;
  readonly clusterId: string;
  readonly listenAddress: PeerAddress | undefined;
  /** Batching of the thread hop, for benchmarks. */
  readonly hop: HopCounters = {
    messagesSent: 0,
    postsSent: 0,
    messagesReceived: 0,
    postsReceived: 0,
  };
  private readonly events = new Emitter();
  private readonly authMirror = new AuthMirror();
  private readonly memberMirror = new MemberMirror();
  private state: NodeStatus;
  private metricsText = '';
  private leases: LeaseStatus[];
  private readonly pending = new Map<number, Pending>();
  private nextCallId = 1;
  private readonly watchers = new Map<number, RemoteWatcher>();
  private nextWatchId = 1;
  private out: ToWorker[] = [];
  private flushQueued = false;
  private appliedListeners = 0;
  private lastError: Error | undefined;
  /** The worker's node stopped itself (its 'failed' event, sent before the worker ends). */
  private nodeFailure: NodeEvents['failed'] | undefined;
  private exited: NodeWorkerExitedError | undefined;
  private stopping: Promise<void> | undefined;
  private stopped = false;
  private readonly watchBufferEventsMax: number;
  private readonly metricsRequest: MetricsRequest;

  constructor(
    private readonly worker: Worker,
    hello: Extract<Hello, { t: 'open' }>,
    private readonly logger: Logger | undefined,
    metricsPort: MessagePort,
    metricsSignal: Int32Array,
  ) {
    super();
    this.metricsRequest = new MetricsRequest(metricsPort, metricsSignal, METRICS_WAIT_MS);
    this.id = hello.id;
    this.clusterId = hello.clusterId;
    this.listenAddress = hello.listenAddress;
    this.state = hello.status;
    this.leases = hello.leases;
    this.watchBufferEventsMax = hello.watchBufferEventsMax;
    this.authMirror.set(hello.auth);
    this.memberMirror.set(hello.members);
    worker.on('message', (batch: FromWorker[]) => this.receive(batch));
    worker.on('error', (err) => (this.lastError = err));
    worker.on('exit', (code) => this.onExit(code));
  }

  // ---- the hop ---------------------------------------------------------------

  private post(m: ToWorker): void {
    this.out.push(m);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const batch = this.out;
    this.out = [];
    if (this.exited !== undefined || this.stopped || batch.length === 0) return;
    this.hop.messagesSent += batch.length;
    this.hop.postsSent++;
    try {
      this.worker.postMessage(batch);
    } catch {
      // Something does not clone (a function in a request): that call fails, the others go.
      for (const m of batch) {
        try {
          this.worker.postMessage([m]);
        } catch (err) {
          if (m.t !== 'call') continue;
          this.pending.get(m.id)?.reject(err as Error);
          this.pending.delete(m.id);
        }
      }
    }
  }

  private call<T>(method: CallMethod, args: unknown[]): Promise<T> {
    if (this.exited !== undefined) return Promise.reject(this.exited);
    const stopping = method === 'close' || method === 'crash' || method === 'kvSnapshotClose';
    if (this.stopping !== undefined && !stopping)
      return Promise.reject(new NodeClosedError(method));
    const id = this.nextCallId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ t: 'call', id, method, args });
    });
  }

  private receive(batch: FromWorker[]): void {
    this.hop.messagesReceived += batch.length;
    this.hop.postsReceived++;
    for (const m of batch) this.take(m);
  }

  private take(m: FromWorker): void {
    switch (m.t) {
      case 'res': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        this.seeRevision(m.value);
        p?.resolve(m.value);
        return;
      }
      case 'err': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.reject(reviveError(m.error));
        return;
      }
      case 'state':
        this.state = m.status;
        return;
      case 'leases':
        this.leases = m.leases;
        return;
      case 'auth':
        this.authMirror.set(m.auth);
        return;
      case 'members':
        this.memberMirror.set(m.members);
        this.events.emit('membersChanged', { members: this.memberMirror.list() });
        return;
      case 'event':
        // The worker's node failed: said with the rest when the worker has ended (onExit).
        if (m.name === 'failed') this.nodeFailure = m.event as NodeEvents['failed'];
        else this.events.emit(m.name, m.event as never);
        return;
      case 'watchRes':
        this.watchers.get(m.wid)?.deliver(m.response, m.catchingUp);
        return;
      case 'watchEnd':
        this.endWatch(m.wid, 'the watcher ended');
        return;
      case 'log':
        relayLog(this.logger, m);
        return;
    }
  }

  /** An answer's header revision keeps status().revision from lagging what the caller has seen. */
  private seeRevision(value: unknown): void {
    const revision = (value as { header?: { revision?: unknown } } | null)?.header?.revision;
    if (typeof revision === 'number' && revision > this.state.revision)
      this.state = { ...this.state, revision };
  }

  private onExit(code: number): void {
    const asked = this.stopped;
    this.stopped = true;
    const reason = this.lastError?.message ?? '';
    const err: Error = asked
      ? new NodeClosedError('request')
      : new NodeWorkerExitedError(code, reason);
    if (!asked) this.exited = err as NodeWorkerExitedError;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const wid of [...this.watchers.keys()]) this.endWatch(wid, err.message);
    if (!asked) {
      this.state = { ...this.state, role: 'follower', leader: 0 };
      this.events.emit('workerExit', { exitCode: code, reason });
      this.events.emit('failed', {
        reason: `the node's worker thread exited (code ${code}${reason ? `: ${reason}` : ''})`,
        category: this.nodeFailure?.category ?? failureCategory(this.lastError),
      });
    }
  }

  // ---- KV ------------------------------------------------------------------

  ready(options?: { timeoutMs?: number }): Promise<void> {
    return this.call('ready', options === undefined ? [] : [options]);
  }

  put(request: Parameters<FlotillaNode['put']>[0], options?: WriteOptions) {
    return this.call<Awaited<ReturnType<FlotillaNode['put']>>>('put', [request, options]);
  }

  deleteRange(request: Parameters<FlotillaNode['deleteRange']>[0], options?: WriteOptions) {
    return this.call<Awaited<ReturnType<FlotillaNode['deleteRange']>>>('deleteRange', [
      request,
      options,
    ]);
  }

  txn(request: Parameters<FlotillaNode['txn']>[0], options?: WriteOptions) {
    return this.call<Awaited<ReturnType<FlotillaNode['txn']>>>('txn', [request, options]);
  }

  compact(request: Parameters<FlotillaNode['compact']>[0], options?: WriteOptions) {
    return this.call<Awaited<ReturnType<FlotillaNode['compact']>>>('compact', [request, options]);
  }

  range(request: Parameters<FlotillaNode['range']>[0], options?: ReadOptions) {
    return this.call<Awaited<ReturnType<FlotillaNode['range']>>>('range', [request, options]);
  }

  /**
   * A watch on the worker's applied state. Without a start revision it starts
   * after the revision this side knows (status().revision), which may trail
   * the worker's by a few milliseconds: the watch then replays those events.
   */
  watch(request: WatchRequest): Watcher {
    if (this.exited !== undefined) throw this.exited;
    if (this.stopping !== undefined) throw new NodeClosedError('watch');
    const wid = this.nextWatchId++;
    const start = request.startRevision || this.state.revision + 1;
    const w = new RemoteWatcher(
      wid,
      request,
      start,
      this.watchBufferEventsMax,
      {
        ack: (id, weight) => this.post({ t: 'watchAck', wid: id, weight }),
        cancel: (id) => this.post({ t: 'watchCancel', wid: id }),
      },
      () => this.watchers.delete(wid),
    );
    this.watchers.set(wid, w);
    this.post({ t: 'watch', wid, request: { ...request, startRevision: start } });
    return w;
  }

  private endWatch(wid: number, reason: string): void {
    const w = this.watchers.get(wid);
    this.watchers.delete(wid);
    if (w === undefined || w.closed) return;
    const last: WatchResponse = {
      revision: this.state.revision,
      events: [],
      canceled: true,
      cancelReason: reason,
    };
    w.deliver(last);
  }

  // ---- leases, sessions, auth ---------------------------------------------

  leaseGrant(request: Parameters<FlotillaNode['leaseGrant']>[0], options?: WriteOptions) {
    return this.call<Awaited<ReturnType<FlotillaNode['leaseGrant']>>>('leaseGrant', [
      request,
      options,
    ]);
  }

  leaseRevoke(request: Parameters<FlotillaNode['leaseRevoke']>[0], options?: WriteOptions) {
    return this.call<Awaited<ReturnType<FlotillaNode['leaseRevoke']>>>('leaseRevoke', [
      request,
      options,
    ]);
  }

  leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse> {
    return this.call('leaseKeepAlive', [id]);
  }

  leaseTimeToLive(id: number, options?: { keys?: boolean }): Promise<NodeLeaseTimeToLive> {
    return this.call('leaseTimeToLive', [id, options]);
  }

  /** The leases of the worker's applied state as last pushed (current as of any answer received since). */
  leaseLeases(): { header: NodeHeader; leases: LeaseStatus[] } {
    if (this.stopping !== undefined) throw new NodeClosedError('leaseLeases');
    return { header: this.header(), leases: [...this.leases] };
  }

  register(options: Parameters<FlotillaNode['register']>[0]) {
    return this.call<Awaited<ReturnType<FlotillaNode['register']>>>('register', [options]);
  }

  authChange(request: Parameters<FlotillaNode['authChange']>[0], options?: WriteOptions) {
    return this.call<Awaited<ReturnType<FlotillaNode['authChange']>>>('authChange', [
      request,
      options,
    ]);
  }

  get auth(): AuthView {
    return this.authMirror;
  }

  // ---- membership ----------------------------------------------------------

  async addLearner(id: NodeId, address?: PeerAddress): Promise<ConfState> {
    if (address !== undefined) this.addPeer(id, address);
    return this.call('addLearner', [id]);
  }

  async addMember(member: MemberRecord, address?: PeerAddress): Promise<ConfState> {
    if (address !== undefined) this.addPeer(member.id, address);
    return this.call('addMember', [member]);
  }

  promote(id: NodeId): Promise<ConfState> {
    return this.call('promote', [id]);
  }

  updateMember(
    request: MemberRequest & { kind: 'set' },
    options?: WriteOptions,
  ): Promise<WithHeader<NoopResponse>> {
    return this.call('updateMember', [request, options]);
  }

  get members(): MemberView {
    return this.memberMirror;
  }

  hashKv(revision = 0): Promise<KvHash> {
    return this.call('hashKv', [revision]);
  }

  removeMember(id: NodeId): Promise<ConfState> {
    return this.call('removeMember', [id]);
  }

  confChange(change: ConfChange): Promise<ConfState> {
    return this.call('confChange', [change]);
  }

  transferLeadership(to: NodeId): Promise<void> {
    return this.call('transferLeadership', [to]);
  }

  addPeer(id: NodeId, address: PeerAddress): void {
    if (id !== this.id && this.exited === undefined && !this.stopped)
      this.post({ t: 'addPeer', id, address });
  }

  // ---- snapshots, status, events -------------------------------------------

  snapshot(): Promise<SnapshotMeta> {
    return this.call('snapshot', []);
  }

  /** kv's snapshot stream, pulled from the worker a few MiB at a time (see remote-snapshot.ts). */
  async kvSnapshot(): Promise<KvSnapshot> {
    const { sid, meta } = await this.call<{ sid: number; meta: object }>('kvSnapshot', []);
    return remoteSnapshot(sid, meta, {
      next: (id) => this.call('kvSnapshotNext', [id]),
      close: (id) => this.call('kvSnapshotClose', [id]),
    });
  }

  /**
   * The worker's status as last pushed: on every leader change at once, while
   * entries apply at most every 20 ms, and every 250 ms otherwise; `revision`
   * is also raised by every answer received.
   */
  status(): NodeStatus {
    return this.state;
  }

  /**
   * The worker's metrics page, rendered there now: this thread waits for it
   * (about 0.2 ms; at most METRICS_WAIT_MS, after which the last page is
   * returned). A metrics page is worth a short wait; status() never waits.
   */
  prometheusText(names?: MemberNames): string {
    if (this.exited === undefined && !this.stopped)
      this.metricsText = this.metricsRequest.fetch() ?? this.metricsText;
    return this.metricsText.replace(/\u0001(\d+)\u0001/g, (_, id: string) =>
      escapeLabelValue(memberName(names, Number(id))),
    );
  }

  on<E extends NodeEventName>(name: E, listener: (event: NodeEvents[E]) => void): () => void {
    const off = this.events.on(name, listener);
    if (name !== 'applied') return off;
    if (this.appliedListeners++ === 0) this.post({ t: 'listen', name: 'applied', on: true });
    let on = true;
    return () => {
      if (!on) return;
      on = false;
      off();
      if (--this.appliedListeners === 0) this.post({ t: 'listen', name: 'applied', on: false });
    };
  }

  // ---- stopping ------------------------------------------------------------

  close(): Promise<void> {
    this.stopping ??= this.stop('close');
    return this.stopping;
  }

  crash(): Promise<void> {
    this.stopping ??= this.stop('crash');
    return this.stopping;
  }

  /** The worker stops the node (a clean close or a crash), answers, and is then ended. */
  private async stop(how: 'close' | 'crash'): Promise<void> {
    if (this.exited !== undefined) return;
    try {
      await this.call(how, []);
    } catch (err) {
      // A worker that died meanwhile has nothing left to stop.
      if (!(err instanceof NodeWorkerExitedError)) throw err;
      return;
    }
    this.stopped = true;
    await this.worker.terminate();
  }

  // ---- internals -----------------------------------------------------------

  private header(): NodeHeader {
    return {
      clusterId: this.clusterId,
      memberId: this.id,
      revision: this.state.revision,
      raftTerm: this.state.term,
    };
  }
}
