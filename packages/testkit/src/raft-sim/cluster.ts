// A cluster of 3 to 7 Raft cores in one process: one VirtualClock, one
// MemoryNetwork whose FaultPlan is the same one the transport tests use, a
// MemoryStorage per node, and one invariant checker fed after every event.
// All randomness comes from the seed, and storage I/O is awaited between
// timer events, so one seed and one schedule give one run.
import { seededRng, type ConfState, type NodeId, type Role } from '@flotilla/raft';
import { FaultPlan, MemoryNetwork, VirtualClock } from '@flotilla/transport';
import { CHAIN_START, chainNext } from './entry-key.js';
import { SimulationError } from './errors.js';
import { RaftInvariantChecker } from './invariants.js';
import {
  deriveSeed,
  resolveSimOptions,
  type RaftSimOptions,
  type ResolvedSimOptions,
} from './options.js';
import { emptyStats, SimNode, type Acknowledged, type NodeEnv, type SimStats } from './sim-node.js';

export class RaftSimCluster {
  readonly options: ResolvedSimOptions;
  readonly clock: VirtualClock;
  readonly faults = new FaultPlan();
  readonly network: MemoryNetwork;
  readonly checker = new RaftInvariantChecker();
  readonly nodes = new Map<NodeId, SimNode>();
  readonly acknowledged: Acknowledged[] = [];
  readonly bootstrap: ConfState;
  readonly stats: SimStats = emptyStats();
  /** A digest of every message delivered, in order, with its delivery time. */
  traceDigest = CHAIN_START;
  private readonly env: NodeEnv;
  private io: Promise<unknown>[] = [];
  private failure: { error: unknown } | undefined;

  constructor(options: RaftSimOptions) {
    const o = resolveSimOptions(options);
    this.options = o;
    this.clock = new VirtualClock({ firesPerRunMax: o.eventsPerRunMax });
    this.network = new MemoryNetwork({
      clock: this.clock,
      rng: seededRng(deriveSeed(o.seed, 0, 3)),
      faults: this.faults,
    });
    this.quiet();
    const voters = Array.from({ length: o.size }, (_, i) => i + 1);
    this.bootstrap = { voters, votersOutgoing: [], learners: [], learnersNext: [] };
    this.env = {
      clock: this.clock,
      network: this.network,
      checker: this.checker,
      options: o,
      bootstrap: this.bootstrap,
      track: (io) =>
        this.io.push(
          io.catch((error: unknown) => {
            this.failure ??= { error };
          }),
        ),
      acknowledge: (a) => this.acknowledged.push(a),
      stats: this.stats,
      traceDelivery: (to, m) => {
        this.traceDigest = chainNext(
          this.traceDigest,
          `${this.clock.now()}|${to}|${m.from}|${m.type}|${m.term}`,
        );
      },
    };
    for (const id of voters) this.startNode(id);
  }

  /** Turns message noise off (the base network delay stays); partitions are kept. */
  quiet(): void {
    const o = this.options;
    this.faults.setDrop(0);
    this.faults.setDuplicate(0);
    this.faults.setReorder(0);
    this.faults.setDelay({ minMs: o.netDelayMsMin, maxMs: o.netDelayMsMax });
  }

  /** Starts a brand-new member with an empty log and the bootstrap configuration. */
  startNode(id: NodeId): SimNode {
    if (this.nodes.has(id))
      throw new SimulationError(`node ${id} was already started; node ids are never reused`);
    if (this.nodes.size >= this.options.nodesMax)
      throw new SimulationError(`at most ${this.options.nodesMax} nodes may be started`);
    const node = new SimNode(id, this.env);
    this.nodes.set(id, node);
    node.startFresh();
    return node;
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new SimulationError(`no node ${id} in this simulation`);
    return n;
  }

  /** The next unused node id. */
  nextId(): NodeId {
    return Math.max(0, ...this.nodes.keys()) + 1;
  }

  up(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.isUp);
  }

  down(): SimNode[] {
    return [...this.nodes.values()].filter((n) => !n.isUp);
  }

  roleOf(n: SimNode): { role: Role; term: number } | undefined {
    const st = n.raw?.status();
    return st === undefined ? undefined : { role: st.softState.role, term: st.hardState.term };
  }

  /** Running nodes that believe they lead, highest term first. */
  leaders(): SimNode[] {
    return this.up()
      .map((n) => ({ n, s: this.roleOf(n)! }))
      .filter((x) => x.s.role === 'leader')
      .sort((a, b) => b.s.term - a.s.term)
      .map((x) => x.n);
  }

  /** Advances virtual time by `ticks` tick intervals, firing every due event in order. */
  async runTicks(ticks: number): Promise<void> {
    await this.runUntil(this.clock.now() + ticks * this.options.tickMs);
  }

  async runUntil(timeMs: number): Promise<void> {
    let fired = 0;
    for (;;) {
      const next = this.clock.nextAt();
      if (next === undefined || next > timeMs) break;
      if (++fired > this.options.eventsPerRunMax) {
        throw new SimulationError(
          `more than ${this.options.eventsPerRunMax} events before time ${timeMs}: the cluster is livelocked or the limit is too low`,
        );
      }
      this.clock.runNext();
      if (this.io.length > 0) await this.drain();
    }
    this.clock.runUntil(timeMs);
  }

  /** Awaits every storage operation issued so far (and those they issue in turn). */
  async drain(): Promise<void> {
    while (this.io.length > 0) {
      const batch = this.io;
      this.io = [];
      await Promise.all(batch);
    }
    if (this.failure !== undefined) throw this.failure.error;
  }

  crash(id: NodeId, tearLastUnsynced: boolean): void {
    this.node(id).crash(tearLastUnsynced);
  }

  async restart(id: NodeId): Promise<void> {
    await this.drain();
    await this.node(id).restart();
    await this.drain();
  }

  /** Removes every fault and restarts every crashed node. */
  async healAll(): Promise<void> {
    this.faults.reset();
    this.quiet();
    for (const n of this.down()) await this.restart(n.id);
  }
}
