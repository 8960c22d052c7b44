// The worker thread's side of a WorkerNode: opens the node here (openNode
// with thread 'inline': LevelDB, TCP, the system clock, in this thread's own
// event loop), answers the host's calls, and pushes what the host reads
// synchronously (status, metrics text, the lease list, the auth state) and
// the node's events. The host's thread can stall for any length of time:
// nothing here waits for it, except watch responses (flow-controlled, see
// remote-watcher.ts) and log lines (posted and forgotten).
import { parentPort, workerData } from 'node:worker_threads';
import type { KvSnapshot, Watcher } from '@flotilla/kv';
import type { Logger, PeerTlsOptions } from '@flotilla/transport';
import { errorToData } from '../errors.js';
import type { InlineNode } from '../node.js';
import { openInlineNode, type OpenNodeOptions } from '../open-node.js';
import { authData } from './auth-mirror.js';
import { serveMetricsRequests } from './metrics-request.js';
import {
  watchWeight,
  type CallMethod,
  type FromWorker,
  type Hello,
  type ToWorker,
} from './protocol.js';
import type { WorkerInit } from './worker-init.js';
import { startWorkerProfile } from './worker-profile.js';
import { reviveFunction } from './worker-init.js';

/** Status is pushed at most this often while entries apply (and before every flush of answers)... */
const STATE_PUSH_MS = 20;
/** ... and at least this often when nothing seems to change (metrics such as progress move without events). */
const STATE_REFRESH_MS = 250;
/** Bytes of snapshot chunks per answer to the host's pull. */
const SNAPSHOT_PULL_BYTES = 4 << 20;
/** Follower labels are rendered as placeholders the host replaces with its member names. */
const labelPlaceholder = (id: number): string => `\u0001${id}\u0001`;

const port = parentPort!;
const init = workerData as WorkerInit;

/** Set when benchmarks/suite/profile.ts asks for the worker's CPU profile (FLOTILLA_PROFILE_DIR). */
const writeProfile = startWorkerProfile();
let out: FromWorker[] = [];
/** Buffers that move to the host with a message of this flush (transferred, not copied). */
let moving = new Map<FromWorker, ArrayBuffer[]>();
/** Answers whose bytes may move: each value's own buffers (see Served.pullSnapshot). */
const movable = new WeakMap<object, ArrayBuffer[]>();
let flushQueued = false;
let answersQueued = false;
/** Set once the node is open: the state and mirrors the host should see with the answers of this flush. */
let stateWithAnswers: (() => FromWorker[]) | undefined;
function send(m: FromWorker, transfer?: ArrayBuffer[]): void {
  out.push(m);
  if (transfer !== undefined && transfer.length > 0) moving.set(m, transfer);
  if (m.t === 'res' || m.t === 'err') answersQueued = true;
  if (flushQueued) return;
  flushQueued = true;
  queueMicrotask(flush);
}
function flush(): void {
  flushQueued = false;
  const batch = out;
  const transfers = moving;
  out = [];
  moving = new Map();
  // A caller that got an answer and then reads status(), the leases, auth or the member table
  // sees a state at least as new as the answer. At the end of the batch, so the newest wins: the
  // host handles a whole batch before any answer's continuation (a microtask) runs.
  const state = answersQueued ? (stateWithAnswers?.() ?? []) : [];
  answersQueued = false;
  batch.push(...state);
  try {
    port.postMessage(batch, transfers.size === 0 ? undefined : [...transfers.values()].flat());
  } catch {
    // Something in the batch does not clone (a log object): send it message by message; a log
    // object is reduced to what clones, an answer that does not clone becomes the clone error.
    for (const m of batch) {
      try {
        port.postMessage([m], transfers.get(m));
      } catch (err) {
        if (m.t === 'log') port.postMessage([{ ...m, obj: plain(m.obj) }]);
        else if (m.t === 'res') port.postMessage([{ t: 'err', id: m.id, error: errorToData(err) }]);
      }
    }
  }
}

/** A log object reduced to what always clones. */
function plain(obj: object): object {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj))
    o[k] = v === null || typeof v !== 'object' ? v : v instanceof Error ? v.message : String(v);
  return o;
}

const logger: Logger | undefined = init.hasLogger
  ? {
      warn: (obj, msg) => send({ t: 'log', level: 'warn', obj, msg }),
      info: (obj, msg) => send({ t: 'log', level: 'info', obj, msg }),
      debug: (obj, msg) => send({ t: 'log', level: 'debug', obj, msg }),
    }
  : undefined;

function nodeOptions(): OpenNodeOptions {
  const o = init.options;
  const memberIdOf =
    init.memberIdOfSource !== undefined
      ? (reviveFunction(init.memberIdOfSource) as PeerTlsOptions['memberIdOf'])
      : undefined;
  return {
    ...o,
    thread: 'inline',
    ...(logger !== undefined ? { logger } : {}),
    ...(o.peerTls !== undefined && memberIdOf !== undefined
      ? { peerTls: { ...o.peerTls, memberIdOf } }
      : {}),
  };
}

async function main(): Promise<void> {
  let node: InlineNode;
  try {
    node = await openInlineNode(nodeOptions());
  } catch (err) {
    flush();
    port.postMessage({ t: 'openFailed', error: errorToData(err) } satisfies Hello);
    return;
  }
  const served = new Served(node);
  stateWithAnswers = () => served.withAnswers();
  port.postMessage({
    t: 'open',
    id: node.id,
    clusterId: node.clusterId,
    listenAddress: node.listenAddress,
    status: node.status(),
    leases: node.leaseLeases().leases,
    auth: authData(node.auth),
    members: node.members.list(),
    watchBufferEventsMax: node.watchBufferEventsMax,
  } satisfies Hello);
  // The metrics page is rendered on request (about 0.2 ms): the host waits for it synchronously.
  serveMetricsRequests(init.metricsPort, init.metricsSignal, () =>
    node.prometheusText(labelPlaceholder),
  );
  port.on('message', (batch: ToWorker[]) => {
    for (const m of batch) served.handle(m);
  });
  // The node stopped itself (its storage failed...): the worker ends with the reason once the failed
  // calls' answers are posted, and the host fails every later call (NodeWorkerExitedError, 'failed').
  node.on('failed', (event) => {
    send({ t: 'event', name: 'failed', event });
    flush();
    setImmediate(() => {
      throw new Error(`the node failed: ${event.reason}`);
    });
  });
  if (init.testExitAfterMs !== undefined) {
    const code = 70;
    setTimeout(() => process.exit(code), init.testExitAfterMs);
  }
}

interface Pump {
  readonly watcher: Watcher;
  inflight: number;
  wake: (() => void) | undefined;
}

class Served {
  private readonly watches = new Map<number, Pump>();
  private readonly snapshots = new Map<
    number,
    { snap: KvSnapshot; it: AsyncIterator<Uint8Array> }
  >();
  private nextSnapshotId = 1;
  private forwardApplied = false;
  private leaseChanges: number;
  private authRevision: number;
  private memberChanges: number;
  private pushTimer: ReturnType<typeof setTimeout> | undefined;
  private lastPushMs = 0;
  private readonly refresh: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(private readonly node: InlineNode) {
    this.leaseChanges = node.leaseChanges;
    this.authRevision = node.auth.revision;
    this.memberChanges = node.members.changes;
    node.on('leaderChanged', (e) => {
      this.pushState();
      send({ t: 'event', name: 'leaderChanged', event: e });
    });
    node.on('applied', (e) => {
      this.followMirrors(false);
      this.statePushSoon();
      if (this.forwardApplied) send({ t: 'event', name: 'applied', event: e });
    });
    node.on('snapshot', (e) => {
      this.followMirrors(e.kind === 'installed');
      this.pushState();
      send({ t: 'event', name: 'snapshot', event: e });
    });
    this.refresh = setInterval(() => this.pushState(), STATE_REFRESH_MS);
  }

  /** Lease list, auth state and member table go to the host when they changed (before any answer that follows). */
  private followMirrors(force: boolean): void {
    for (const m of this.mirrorChanges(force)) send(m);
  }

  /** The mirror messages for what changed since the last ones (all of them with `force`). */
  private mirrorChanges(force: boolean): FromWorker[] {
    const n = this.node;
    const out: FromWorker[] = [];
    if (force || n.leaseChanges !== this.leaseChanges) {
      this.leaseChanges = n.leaseChanges;
      out.push({ t: 'leases', leases: n.leaseLeases().leases });
    }
    if (force || n.auth.revision !== this.authRevision) {
      this.authRevision = n.auth.revision;
      out.push({ t: 'auth', auth: authData(n.auth) });
    }
    if (force || n.members.changes !== this.memberChanges) {
      this.memberChanges = n.members.changes;
      out.push({ t: 'members', members: n.members.list() });
    }
    return out;
  }

  private statePushSoon(): void {
    if (this.pushTimer !== undefined || this.closed) return;
    const waitMs = Math.max(0, this.lastPushMs + STATE_PUSH_MS - Date.now());
    this.pushTimer = setTimeout(() => this.pushState(), waitMs);
  }

  private pushState(): void {
    const m = this.stateMessage();
    if (m !== undefined) send(m);
  }

  /**
   * For a flush with answers: the mirrors that changed since they were last sent (an answer can
   * come before the apply event that would send them), and the status always, not only after an
   * apply, since an answer can change it by itself (a forwarded write's commit latency is
   * recorded when the leader's answer arrives, maybe before this member applies the entry).
   */
  withAnswers(): FromWorker[] {
    const state = this.stateMessage();
    return [...this.mirrorChanges(false), ...(state === undefined ? [] : [state])];
  }

  private stateMessage(): FromWorker | undefined {
    if (this.pushTimer !== undefined) clearTimeout(this.pushTimer);
    this.pushTimer = undefined;
    if (this.closed) return undefined;
    this.lastPushMs = Date.now();
    return { t: 'state', status: this.node.status() };
  }

  handle(m: ToWorker): void {
    switch (m.t) {
      case 'call':
        this.call(m.id, m.method, m.args);
        return;
      case 'addPeer':
        this.node.addPeer(m.id, m.address);
        return;
      case 'listen':
        this.forwardApplied = m.on;
        return;
      case 'watch':
        this.watch(m.wid, m);
        return;
      case 'watchAck': {
        const p = this.watches.get(m.wid);
        if (p === undefined) return;
        p.inflight -= m.weight;
        p.wake?.();
        p.wake = undefined;
        return;
      }
      case 'watchCancel':
        this.watches.get(m.wid)?.watcher.cancel();
        return;
    }
  }

  private call(id: number, method: CallMethod, args: unknown[]): void {
    let run: Promise<unknown>;
    try {
      run = Promise.resolve(this.invoke(method, args));
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      (value) =>
        send(
          { t: 'res', id, value },
          typeof value === 'object' && value !== null ? movable.get(value) : undefined,
        ),
      (err: unknown) => send({ t: 'err', id, error: errorToData(err) }),
    );
  }

  private invoke(method: CallMethod, args: unknown[]): unknown {
    const n = this.node;
    switch (method) {
      case 'kvSnapshot':
        return this.openSnapshot();
      case 'kvSnapshotNext':
        return this.pullSnapshot(args[0] as number);
      case 'kvSnapshotClose':
        return this.closeSnapshot(args[0] as number);
      case 'close':
      case 'crash':
        return this.stop(method);
      default:
        return (n[method] as (...x: unknown[]) => unknown).apply(n, args);
    }
  }

  private async stop(how: 'close' | 'crash'): Promise<void> {
    await (how === 'close' ? this.node.close() : this.node.crash());
    writeProfile?.();
    this.closed = true;
    clearInterval(this.refresh);
    if (this.pushTimer !== undefined) clearTimeout(this.pushTimer);
    for (const s of this.snapshots.values()) await s.snap.close().catch(() => undefined);
    this.snapshots.clear();
  }

  private async openSnapshot(): Promise<object> {
    const snap = await this.node.kvSnapshot();
    const sid = this.nextSnapshotId++;
    this.snapshots.set(sid, { snap, it: snap.chunks[Symbol.asyncIterator]() });
    const { chunks: _chunks, close: _close, ...meta } = snap;
    return { sid, meta };
  }

  /**
   * The next chunks, each copied into a buffer of its own that then moves to the host: kv's
   * chunks are views of msgpackr's shared buffer (2.4 MiB for 1 MiB chunks), which a clone would
   * copy whole for every chunk, and a transfer would take from msgpackr. One copy, then none.
   */
  private async pullSnapshot(sid: number): Promise<{ chunks: Uint8Array[]; done: boolean }> {
    const s = this.snapshots.get(sid);
    if (s === undefined) return { chunks: [], done: true };
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    let done = false;
    while (bytes < SNAPSHOT_PULL_BYTES) {
      const r = await s.it.next();
      if (r.done) {
        this.snapshots.delete(sid);
        done = true;
        break;
      }
      chunks.push(new Uint8Array(r.value));
      bytes += r.value.byteLength;
    }
    const answer = { chunks, done };
    movable.set(
      answer,
      chunks.map((c) => c.buffer as ArrayBuffer),
    );
    return answer;
  }

  private async closeSnapshot(sid: number): Promise<void> {
    const s = this.snapshots.get(sid);
    this.snapshots.delete(sid);
    await s?.snap.close();
  }

  private watch(wid: number, m: Extract<ToWorker, { t: 'watch' }>): void {
    let watcher: Watcher;
    try {
      watcher = this.node.watch(m.request);
    } catch (err) {
      send({
        t: 'watchRes',
        wid,
        response: {
          revision: 0,
          events: [],
          canceled: true,
          cancelReason: (err as Error).message,
        },
        catchingUp: false,
      });
      return;
    }
    const pump: Pump = { watcher, inflight: 0, wake: undefined };
    this.watches.set(wid, pump);
    void this.pump(wid, pump);
  }

  /** Moves responses to the host while fewer than the buffer's worth are unacknowledged. */
  private async pump(wid: number, p: Pump): Promise<void> {
    // Half of kv's buffer in flight to the host, the other half may wait in the worker's watcher:
    // about what an inline watcher holds at most.
    const windowMax = Math.max(1, Math.ceil(this.node.watchBufferEventsMax / 2));
    try {
      for (;;) {
        while (p.inflight >= windowMax && !p.watcher.closed)
          await new Promise<void>((resolve) => (p.wake = resolve));
        const r = await p.watcher.next();
        if (r === undefined) break;
        p.inflight += watchWeight(r);
        send({ t: 'watchRes', wid, response: r, catchingUp: p.watcher.state === 'catchingUp' });
      }
    } finally {
      this.watches.delete(wid);
      send({ t: 'watchEnd', wid });
    }
  }
}

void main();
