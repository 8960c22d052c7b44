// A small in-process cluster for multi-node tests: N RawNodes, each with a
// memory "storage" (persist = record), a toy state machine (the list of
// applied payloads), and a FIFO network that can isolate nodes or drop by
// predicate. Runs the Ready loop exactly as the contract on Ready says.
import {
  RawNode,
  seededRng,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
  type DroppedRead,
  type Snapshot,
  type SnapshotMeta,
} from '@flotilla/raft';

const enc = new TextEncoder();
const dec = new TextDecoder();

export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'rng' | 'initial'>>;

/** What survives a crash: exactly what the driver persisted. */
export interface MemStorage {
  hardState: HardState;
  entries: Entry[];
  snapshot: Snapshot | undefined;
}

export class SimNode {
  raw: RawNode;
  readonly storage: MemStorage;
  /** The state machine: payloads of applied normal entries (empty no-ops skipped). */
  applied: string[] = [];
  appliedIndex = 0;
  readStates: ReadState[] = [];
  droppedReads: DroppedRead[] = [];
  /** Every entry handed out as committed, in order (for safety checks). */
  committedLog: Entry[] = [];

  constructor(
    readonly id: NodeId,
    private readonly bootstrap: ConfState,
    private readonly options: NodeOptions,
    private readonly seed: number,
  ) {
    this.storage = { hardState: { term: 0, vote: 0, commit: 0 }, entries: [], snapshot: undefined };
    this.raw = this.boot();
  }

  private boot(): RawNode {
    const snap = this.storage.snapshot;
    const initial: RaftConfig['initial'] = {
      hardState: this.storage.hardState,
      confState: snap?.meta.confState ?? this.bootstrap,
      entries: [...this.storage.entries],
      ...(snap === undefined ? {} : { snapshotMeta: snap.meta, applied: snap.meta.index }),
    };
    return new RawNode({ id: this.id, rng: seededRng(this.seed), ...this.options, initial });
  }

  /** Crash and restart from storage: volatile state and the state machine are rebuilt. */
  restart(): void {
    const snap = this.storage.snapshot;
    this.applied = snap === undefined ? [] : (JSON.parse(text(snap.data)) as string[]);
    this.appliedIndex = snap?.meta.index ?? 0;
    this.raw = this.boot();
  }

  persist(
    snapshot: Snapshot | undefined,
    entries: readonly Entry[],
    hs: HardState | undefined,
  ): void {
    const st = this.storage;
    if (snapshot !== undefined) {
      st.snapshot = snapshot;
      st.entries = [];
    }
    const first = entries[0];
    if (first !== undefined) {
      const base = st.snapshot?.meta.index ?? 0;
      st.entries = st.entries.slice(0, first.index - base - 1);
      st.entries.push(...entries);
    }
    if (hs !== undefined) st.hardState = hs;
  }

  apply(snapshot: Snapshot | undefined, committed: readonly Entry[]): void {
    if (snapshot !== undefined) {
      this.applied = JSON.parse(text(snapshot.data)) as string[];
      this.appliedIndex = snapshot.meta.index;
    }
    for (const e of committed) {
      if (e.index !== this.appliedIndex + 1)
        throw new Error(`node ${this.id} applies ${e.index} after ${this.appliedIndex}`);
      this.appliedIndex = e.index;
      this.committedLog.push(e);
      if (e.type === 'normal' && e.data.length > 0) this.applied.push(text(e.data));
    }
  }

  /** Snapshot the state machine at the applied index and compact the core's log. */
  compact(): SnapshotMeta {
    const meta = this.raw.compact(this.appliedIndex);
    if (meta === undefined)
      throw new Error(
        `node ${this.id}: compact(${this.appliedIndex}) is behind a received snapshot`,
      );
    this.storage.snapshot = { meta, data: bytes(JSON.stringify(this.applied)) };
    this.storage.entries = this.storage.entries.filter((e) => e.index > meta.index);
    return meta;
  }
}

export interface ClusterOptions extends NodeOptions {
  seed?: number;
  /** Ids of learners in the bootstrap configuration. */
  learners?: NodeId[];
}

export class Cluster {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly queue: Message[] = [];
  readonly isolated = new Set<NodeId>();
  /** Return true to drop a message in flight. */
  drop: (m: Message) => boolean = () => false;
  /** Which queued message to deliver next (FIFO by default; random to reorder). */
  pick: (queueLength: number) => number = () => 0;
  /** Return true to deliver a message and also queue it again. */
  duplicate: (m: Message) => boolean = () => false;
  /** Every message delivered, for assertions. */
  readonly delivered: Message[] = [];
  /** Nodes whose Ready loop is paused (as if their disk were stalled). */
  readonly held = new Set<NodeId>();

  constructor(
    ids: NodeId[],
    private readonly options: ClusterOptions = {},
  ) {
    const bootstrap: ConfState = {
      voters: ids,
      votersOutgoing: [],
      learners: options.learners ?? [],
      learnersNext: [],
    };
    const { seed = 1, learners: _l, ...nodeOptions } = options;
    for (const id of [...ids, ...(options.learners ?? [])]) {
      this.nodes.set(id, new SimNode(id, bootstrap, nodeOptions, seed * 1000 + id));
    }
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Adds a node started with the bootstrap configuration (learns the rest from the log or a snapshot). */
  addNode(id: NodeId, bootstrapVoters: NodeId[]): SimNode {
    const { seed = 1, learners: _l, ...nodeOptions } = this.options;
    const conf: ConfState = {
      voters: bootstrapVoters,
      votersOutgoing: [],
      learners: this.options.learners ?? [],
      learnersNext: [],
    };
    const n = new SimNode(id, conf, nodeOptions, seed * 1000 + id);
    this.nodes.set(id, n);
    return n;
  }

  /** Runs one Ready cycle on a node if it has one. Returns whether it did. */
  process(id: NodeId): boolean {
    const n = this.node(id);
    if (this.held.has(id) || !n.raw.hasReady()) return false;
    const rd = n.raw.ready();
    this.enqueue(n, rd.earlyMessages);
    n.persist(rd.snapshot, rd.entries, rd.hardState);
    this.enqueue(n, rd.messages);
    n.apply(rd.snapshot, rd.committedEntries);
    n.readStates.push(...rd.readStates);
    n.droppedReads.push(...rd.droppedReads);
    n.raw.advance(rd);
    return true;
  }

  private enqueue(from: SimNode, msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (m.type === 'snapshot') {
        // The driver's part of the contract: fill in the snapshot's data.
        const snap = from.storage.snapshot;
        if (snap === undefined || snap.meta.index !== m.snapshot.meta.index) {
          throw new Error(`node ${from.id} has no stored snapshot at ${m.snapshot.meta.index}`);
        }
        this.queue.push({ ...m, snapshot: { meta: m.snapshot.meta, data: snap.data } });
        from.raw.reportSnapshot(m.to, !this.blocked(m));
      } else {
        this.queue.push(m);
      }
    }
  }

  private blocked(m: Message): boolean {
    return this.isolated.has(m.from) || this.isolated.has(m.to) || !this.nodes.has(m.to);
  }

  /** Delivers one queued message. Returns false when the queue is empty. */
  deliverOne(): boolean {
    const at = this.pick(this.queue.length);
    const [m] = this.queue.splice(at, 1);
    if (m === undefined) return false;
    if (this.blocked(m) || this.drop(m)) return true;
    if (this.duplicate(m)) this.queue.push(m);
    this.delivered.push(m);
    this.node(m.to).raw.step(m);
    return true;
  }

  /** Processes readies and delivers messages until nothing moves. */
  stabilize(maxSteps = 100_000): void {
    for (let i = 0; i < maxSteps; i++) {
      let moved = false;
      for (const id of this.nodes.keys()) moved = this.process(id) || moved;
      moved = this.deliverOne() || moved;
      if (!moved) return;
    }
    throw new Error('cluster did not stabilize');
  }

  /** Ticks every (non-isolated or not) node `n` times, stabilizing after each tick. */
  tick(n = 1, only?: NodeId[]): void {
    for (let i = 0; i < n; i++) {
      for (const [id, node] of this.nodes)
        if (only === undefined || only.includes(id)) node.raw.tick();
      this.stabilize();
    }
  }

  campaign(id: NodeId): void {
    this.node(id).raw.campaign();
    this.stabilize();
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()]
      .filter((n) => n.raw.status().softState.role === 'leader')
      .map((n) => n.id);
  }

  leader(): SimNode {
    const ls = this.leaders();
    if (ls.length === 0) throw new Error('no leader');
    const best = ls
      .map((id) => this.node(id))
      .sort((a, b) => b.raw.status().hardState.term - a.raw.status().hardState.term);
    return best[0]!;
  }

  /** Proposes on the current leader and stabilizes. */
  propose(data: string): void {
    const res = this.leader().raw.propose(bytes(data));
    if (!res.ok) throw res.error;
    this.stabilize();
  }

  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  heal(): void {
    this.isolated.clear();
    this.drop = () => false;
    this.pick = () => 0;
    this.duplicate = () => false;
  }
}
