// A simulated cluster of real nodes: each has its own MemoryStorage (with a
// crash boundary and write latency on its clock), memory-level KV state (its
// batch writes delayed like the disk's), a
// pausable view of the shared virtual clock (drifting at its own rate) and a
// station on one MemoryNetwork whose FaultPlan the nemesis drives; the
// station keeps frames sent to a node across its restarts, as TCP does. Node
// ids are never reused: churn replaces a removed member with a brand-new id.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

import type { KvLimits } from '@flotilla/kv';
import { randomInt, type NodeId, type Rng } from '@flotilla/raft';
import { MemoryStorage, type MemoryStorageOptions } from '@flotilla/storage';
import { MemoryNetwork } from '@flotilla/transport';
import { MemoryLevel } from 'memory-level';
import { PausableClock } from './pausable-clock.js';
import type { SimRuntime } from './runtime.js';
import type { NodeStarter, SimulatedNode } from './sim-node.js';
import { Station } from './station.js';

/** Disk write times in ms, drawn per write: [min, max] for unsynced and for synced writes. */
export interface DiskLatency {
  readonly writeMs: readonly [number, number];
  readonly syncMs: readonly [number, number];
}

export interface ClusterOptions {
  readonly nodes: number;
  readonly snapshotEntries: number;
  readonly clusterId?: string;
  /** Virtual time allowed for one node to start or stop. */
  readonly lifecycleMsMax?: number;
  /**
   * Each node's clock runs at a rate drawn uniformly from [1 - d, 1 + d].
   * Keep it well inside the bound the node's leaseFraction documents. Default 0.
   */
  readonly clockDriftMax?: number;
  /** Storage write latency; default none (writes finish at once). */
  readonly disk?: DiskLatency;
  /** After a restart, each peer's link reconnects within this many ms and replays its backlog. Default 50. */
  readonly reconnectMsMax?: number;
  /** KV limits of every member (e.g. a small exactly-once table). */
  readonly kvLimits?: Partial<KvLimits>;
}

interface Member {
  readonly id: NodeId;
  storage: MemoryStorage;
  readonly level: MemoryLevel<string, Uint8Array>;
  readonly clock: PausableClock;
  readonly clockRate: number;
  readonly station: Station;
  /** Added to every write's latency while a slow-disk fault lasts. */
  slowDiskMs: number;
  /** What fails every write while a failing-disk fault lasts (until the node stops, crashes or heals). */
  diskFailing: 'log' | 'state' | undefined;
  /** Called once the node stopped itself over the failing disk (the nemesis schedules its restart). */
  onDiskFailed: (() => void) | undefined;
  node: SimulatedNode | undefined;
  removed: boolean;
}

export class SimCluster {
  readonly network: MemoryNetwork;
  readonly #rt: SimRuntime;
  readonly #options: Required<ClusterOptions>;
  readonly #start: NodeStarter;
  readonly #members = new Map<NodeId, Member>();
  #nextId: NodeId;
  readonly #founders: readonly NodeId[];
  /** Leaders seen per term: two different ones is a safety violation. */
  readonly #leaderOfTerm = new Map<number, NodeId>();
  readonly violations: string[] = [];
  readonly log: string[] = [];
  /** Client requests outstanding per node (the clients keep it), for faults that hit busy nodes. */
  readonly busy = new Map<NodeId, number>();

  constructor(rt: SimRuntime, options: ClusterOptions, start: NodeStarter) {
    this.#rt = rt;
    this.#options = {
      clusterId: 'sim',
      lifecycleMsMax: 5_000,
      clockDriftMax: 0,
      disk: { writeMs: [0, 0], syncMs: [0, 0] },
      reconnectMsMax: 50,
      kvLimits: {},
      ...options,
    };
    this.#start = start;
    this.network = new MemoryNetwork({ clock: rt.clock, rng: rt.rng('network') });
    this.#nextId = options.nodes + 1;
    this.#founders = Array.from({ length: options.nodes }, (_, i) => i + 1);
    for (const id of this.#founders) this.#add(id);
    rt.observe(() => this.#checkLeaders());
  }

  #add(id: NodeId): Member {
    const clock = new PausableClock(this.#rt.clock);
    const drift = this.#options.clockDriftMax;
    const m: Member = {
      id,
      storage: undefined as unknown as MemoryStorage,
      level: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }),
      clock,
      clockRate: drift === 0 ? 1 : 1 - drift + 2 * drift * this.#rt.rng(`drift-${id}`).next(),
      station: new Station(this.network, id, this.#rt.clock, this.#rt.rng(`reconnect-${id}`), {
        reconnectMsMax: this.#options.reconnectMsMax,
        backlogMessagesMax: 4_096,
      }),
      slowDiskMs: 0,
      diskFailing: undefined,
      onDiskFailed: undefined,
      node: undefined,
      removed: false,
    };
    m.storage = failable(m, new MemoryStorage(this.#storageOptions(m, this.#rt.rng(`disk-${id}`))));
    this.#delayKvWrites(m, this.#rt.rng(`kv-disk-${id}`));
    failStateWrites(m);
    this.#members.set(id, m);
    return m;
  }

  /**
   * The KV state's batch writes take an unsynced write's latency too (plus a slow-disk fault's),
   * on the shared clock (a write already issued finishes while its process is paused): a node
   * answers a write before its KV batch is written (answerBeforeKvWrite), and reads, snapshots
   * and crashes must meet that window.
   */
  #delayKvWrites(m: Member, rng: Rng): void {
    const [lo, hi] = this.#options.disk.writeMs;
    if (hi === 0) return;
    const level = m.level as unknown as {
      _batch(ops: unknown[], options: object): Promise<void>;
    };
    const write = level._batch.bind(m.level);
    const clock = this.#rt.clock;
    level._batch = (ops, options) =>
      new Promise<void>((resolve) =>
        clock.setTimer(randomInt(rng, lo, hi) + m.slowDiskMs, () => resolve()),
      ).then(() => write(ops, options));
  }

  /** Writes take their latency on the node's own (pausable) clock: a paused process's disk waits too. */
  #storageOptions(m: Member, rng: Rng): MemoryStorageOptions {
    const disk = this.#options.disk;
    if (disk.writeMs[1] === 0 && disk.syncMs[1] === 0) return {};
    return {
      writeLatency: {
        timer: m.clock,
        latencyMs: (sync) => {
          const [lo, hi] = sync ? disk.syncMs : disk.writeMs;
          return randomInt(rng, lo, hi) + m.slowDiskMs;
        },
      },
    };
  }

  /** Makes a node's disk slower by `extraMs` per write (0 restores it). */
  slowDisk(id: NodeId, extraMs: number): void {
    const m = this.#members.get(id);
    if (m === undefined) return;
    m.slowDiskMs = extraMs;
    this.note(`node ${id} disk ${extraMs === 0 ? 'normal' : `+${extraMs} ms per write`}`);
  }

  /**
   * Makes every later write of a node's Raft log or KV state fail; `onFailed`
   * runs once the node has stopped itself over it (its storage then crashed
   * to what it had synced, the disk whole again).
   */
  failDisk(id: NodeId, what: 'log' | 'state', onFailed: () => void): void {
    const m = this.#members.get(id);
    if (m === undefined || m.node === undefined) return;
    m.diskFailing = what;
    m.onDiskFailed = onFailed;
    this.note(`node ${id} disk failing (${what} writes)`);
  }

  /** The node stopped itself: a failed write (expected under a failing disk) or a broken invariant (a finding). */
  #failed(m: Member, node: SimulatedNode, failure: { reason: string; category: string }): void {
    this.note(`node ${m.id} failed (${failure.category}): ${failure.reason}`);
    if (failure.category === 'bug')
      this.violations.push(`node ${m.id} failed on a bug: ${failure.reason}`);
    if (m.node !== node) return; // crashed or removed meanwhile: that path owns the member now
    m.node = undefined;
    m.storage = failable(m, m.storage.crash({ rng: this.#rt.rng(`fail-${m.id}`) }));
    if (m.clock.paused) m.clock.resume();
    this.network.faults.unclog(m.id);
    const onFailed = m.onDiskFailed;
    m.diskFailing = undefined;
    m.onDiskFailed = undefined;
    onFailed?.();
  }

  /** Frames delivered to restarted nodes from their previous incarnation's backlog. */
  replayedFrames(): number {
    let n = 0;
    for (const m of this.#members.values()) n += m.station.replayed;
    return n;
  }

  clockRate(id: NodeId): number {
    return this.#members.get(id)?.clockRate ?? 1;
  }

  note(line: string): void {
    this.log.push(`${this.#rt.now} ${line}`);
  }

  async start(): Promise<void> {
    for (const id of this.#members.keys()) await this.startNode(id);
  }

  async startNode(id: NodeId): Promise<void> {
    const m = this.#member(id);
    if (m.node !== undefined || m.removed) return;
    const started = this.#start({
      id,
      clusterId: this.#options.clusterId,
      storage: m.storage,
      transport: m.station.attach(),
      clock: m.clock,
      rng: this.#rt.rng(`node-${id}-${this.#rt.now}`),
      stateLevel: m.level,
      // A joining node is started with the founding voters too; it learns later changes from the log.
      initialVoters: this.#founders,
      snapshotEntries: this.#options.snapshotEntries,
      clockRate: m.clockRate,
      kvLimits: this.#options.kvLimits,
    });
    try {
      const node = await this.#rt.within(
        started,
        this.#options.lifecycleMsMax,
        `start of node ${id}`,
      );
      m.node = node;
      node.onFailed((failure) => this.#failed(m, node, failure));
    } catch (err) {
      // A node that refuses its own data (an invariant broken on open) is a finding, not a harness failure.
      if (!(err instanceof Error && err.name === 'NodeInvariantError')) throw err;
      this.violations.push(`node ${id} could not restart: ${err.message}`);
      this.note(`node ${id} could not restart: ${err.message}`);
      return;
    }
    this.note(`node ${id} started`);
  }

  /** Member ids that were not removed (up or down). */
  ids(): NodeId[] {
    return [...this.#members.values()].filter((m) => !m.removed).map((m) => m.id);
  }

  /** Running nodes that were not removed. */
  up(): SimulatedNode[] {
    return [...this.#members.values()]
      .filter((m) => !m.removed && m.node !== undefined)
      .map((m) => m.node as SimulatedNode);
  }

  node(id: NodeId): SimulatedNode | undefined {
    return this.#members.get(id)?.node;
  }

  isUp(id: NodeId): boolean {
    const m = this.#members.get(id);
    return m !== undefined && !m.removed && m.node !== undefined;
  }

  isPaused(id: NodeId): boolean {
    return this.#members.get(id)?.clock.paused ?? false;
  }

  /** The running, unpaused node that believes it leads in the highest term. */
  leaderId(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const n of this.up()) {
      if (this.isPaused(n.id)) continue;
      const s = n.status();
      if (s.role === 'leader' && (best === undefined || s.term > best.term))
        best = { id: n.id, term: s.term };
    }
    return best?.id;
  }

  /**
   * Kills a node: in-flight work is dropped; writes not yet durable (unsynced,
   * or still in progress) are kept, torn or lost. The storage is crashed at
   * once, before the node sees its write finish, so a crash can fall in the
   * middle of a write.
   */
  async crash(id: NodeId, tear: boolean): Promise<void> {
    const m = this.#member(id);
    const node = m.node;
    if (node === undefined) return;
    m.node = undefined;
    const inFlightWrites = m.storage.writesInProgress;
    const stopping = node.crash(); // marks the driver crashed before its write fails
    m.storage = failable(
      m,
      m.storage.crash({ rng: this.#rt.rng(`crash-${id}`), tearLastUnsynced: tear }),
    );
    m.diskFailing = undefined; // a crash ends a failing-disk fault (the restart finds the disk whole)
    m.onDiskFailed = undefined;
    if (m.clock.paused) m.clock.resume();
    this.network.faults.unclog(id);
    try {
      await this.#rt.within(stopping, this.#options.lifecycleMsMax, `crash of node ${id}`);
    } catch (err) {
      // The driver loop died of a broken invariant before the crash: a finding.
      if (!(err instanceof Error && err.name === 'NodeInvariantError')) throw err;
      this.violations.push(`node ${id} broke an invariant: ${err.message}`);
    }
    this.note(
      `node ${id} crashed${tear ? ' (torn)' : ''}${inFlightWrites > 0 ? ` with ${inFlightWrites} writes in progress` : ''}`,
    );
  }

  pause(id: NodeId): void {
    const m = this.#member(id);
    if (m.node === undefined || m.clock.paused) return;
    m.clock.pause();
    this.network.faults.clog(id);
    this.note(`node ${id} paused`);
  }

  resume(id: NodeId): void {
    const m = this.#member(id);
    if (!m.clock.paused) return;
    this.network.faults.unclog(id);
    m.clock.resume();
    this.note(`node ${id} resumed`);
  }

  /**
   * Removes `id` from the configuration (through the leader) and stops it,
   * then adds a brand-new node: first as a learner in the configuration,
   * then started, then promoted once it has caught up (etcd's order: a member
   * is added before it starts).
   */
  async replace(id: NodeId, opMsMax: number): Promise<void> {
    const voters = this.#leaderNode().status().voters;
    if (!voters.includes(id) || voters.length < 3) return;
    await this.#rt.within(this.#leaderNode().removeMember(id), opMsMax, `removal of node ${id}`);
    const m = this.#member(id);
    m.removed = true;
    const gone = m.node;
    m.node = undefined;
    if (gone !== undefined)
      await this.#rt.within(
        gone.crash(),
        this.#options.lifecycleMsMax,
        `stop of removed node ${id}`,
      );
    this.note(`node ${id} removed`);
    if (!(await this.#rt.waitFor(() => this.leaderId() !== undefined, opMsMax)))
      throw new NoLeaderNowError();
    const freshId = this.#nextId++;
    await this.#rt.within(
      this.#leaderNode().addLearner(freshId),
      opMsMax,
      `adding learner ${freshId}`,
    );
    this.#add(freshId);
    await this.startNode(freshId);
    if (!(await this.#rt.waitFor(() => this.#caughtUp(freshId), opMsMax))) return;
    await this.#rt.within(this.#leaderNode().promote(freshId), opMsMax, `promotion of ${freshId}`);
    this.note(`node ${freshId} promoted`);
  }

  async transferLeadership(to: NodeId, opMsMax: number): Promise<void> {
    if (!this.isUp(to)) return;
    await this.#rt.within(
      this.#leaderNode().transferLeadership(to),
      opMsMax,
      `leadership transfer to ${to}`,
    );
    this.note(`leadership transfer to ${to} requested`);
  }

  /** Heals everything: no faults, nobody paused, every member running. */
  async healAll(): Promise<void> {
    this.network.faults.reset();
    for (const m of this.#members.values()) {
      if (m.removed) continue;
      m.diskFailing = undefined;
      m.onDiskFailed = undefined;
      if (m.clock.paused) this.resume(m.id);
      if (m.node === undefined) await this.startNode(m.id);
    }
    this.note('healed');
  }

  /**
   * Whether every running member of the leader's configuration has applied
   * everything the leader committed. (A node whose removal committed but was
   * never confirmed to the harness keeps running outside the configuration; it
   * is not waited for.)
   */
  converged(): boolean {
    const leader = this.leaderId();
    if (leader === undefined) return false;
    const s = (this.node(leader) as SimulatedNode).status();
    return this.up().every(
      (n) => !s.members.includes(n.id) || n.status().appliedIndex >= s.commitIndex,
    );
  }

  async close(): Promise<void> {
    for (const m of this.#members.values()) {
      const node = m.node;
      m.node = undefined;
      if (node !== undefined)
        await this.#rt.within(node.crash(), this.#options.lifecycleMsMax, `stop of node ${m.id}`);
    }
  }

  #caughtUp(id: NodeId): boolean {
    const leader = this.leaderId();
    const node = this.node(id);
    if (leader === undefined || node === undefined) return false;
    return node.status().appliedIndex >= (this.node(leader) as SimulatedNode).status().commitIndex;
  }

  #leaderNode(): SimulatedNode {
    const id = this.leaderId();
    if (id === undefined) throw new NoLeaderNowError();
    return this.node(id) as SimulatedNode;
  }

  #member(id: NodeId): Member {
    const m = this.#members.get(id);
    if (m === undefined) throw new Error(`invariant: no member ${id}`);
    return m;
  }

  #checkLeaders(): void {
    for (const n of this.up()) {
      const s = n.status();
      if (s.role !== 'leader') continue;
      const seen = this.#leaderOfTerm.get(s.term);
      if (seen === undefined) this.#leaderOfTerm.set(s.term, n.id);
      else if (seen !== n.id)
        this.violations.push(`two leaders in term ${s.term}: ${seen} and ${n.id}`);
    }
  }
}

/** A fault that needs the leader found none (a normal condition under faults: the fault is skipped). */
export class NoLeaderNowError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'NoLeaderNowError';
  constructor() {
    super('no node is leader right now; the fault that needed one is skipped');
  }
}

/** A write failure as a dying disk gives it (a system error with a code). */
function diskError(): Error {
  return Object.assign(new Error('EIO: i/o error, write (failing-disk fault)'), { code: 'EIO' });
}

/** Log writes of this storage fail while the member's failing-disk fault is on its log. */
function failable(m: Member, storage: MemoryStorage): MemoryStorage {
  const persist = storage.persist.bind(storage);
  storage.persist = (batch, options) =>
    m.diskFailing === 'log' ? Promise.reject(diskError()) : persist(batch, options);
  return storage;
}

/** KV state writes fail while the member's failing-disk fault is on its state. */
function failStateWrites(m: Member): void {
  const level = m.level as unknown as {
    _batch(ops: unknown[], options: object): Promise<void>;
  };
  const write = level._batch.bind(m.level);
  level._batch = (ops, options) =>
    m.diskFailing === 'state' ? Promise.reject(diskError()) : write(ops, options);
}
