// A whole cluster in one process on virtual time: MemoryStorage,
// MemoryNetwork, VirtualClock and memory-level KV state. Time moves only when
// a test says so, in 1 ms steps, with the event loop drained between steps.
import { MemoryLevel } from 'memory-level';
import { seededRng, type NodeId } from '@flotilla/raft';
import { MemoryStorage } from '@flotilla/storage';
import {
  MemoryNetwork,
  VirtualClock,
  type MemoryTransport,
  type WireMessage,
} from '@flotilla/transport';
import { createNode, type FlotillaNode, type NodeOptions } from '../src/index.js';

interface Member {
  node: FlotillaNode | undefined;
  transport: MemoryTransport | undefined;
  storage: MemoryStorage;
  readonly state: MemoryLevel<string, Uint8Array>;
}

export const FAST: NodeOptions = { tickMs: 10, electionTicks: 10, heartbeatTicks: 1 };

export class MemCluster {
  readonly clock = new VirtualClock();
  readonly network: MemoryNetwork;
  readonly members = new Map<NodeId, Member>();
  private seedCounter: number;
  /** Write time in ms of each node's disk (synced or not), for nodes created from now on; none: instant. */
  readonly diskMs = new Map<NodeId, number>();

  constructor(
    private readonly seed: number,
    readonly founders: readonly NodeId[],
    private readonly options: NodeOptions = FAST,
  ) {
    this.network = new MemoryNetwork({ clock: this.clock, rng: seededRng(seed) });
    this.seedCounter = seed * 1000;
  }

  static async start(
    seed: number,
    ids: readonly NodeId[],
    options: NodeOptions = FAST,
  ): Promise<MemCluster> {
    const c = new MemCluster(seed, ids, options);
    for (const id of ids) await c.startNode(id);
    return c;
  }

  async startNode(id: NodeId, options: NodeOptions = {}): Promise<FlotillaNode> {
    let m = this.members.get(id);
    if (m === undefined) {
      m = {
        node: undefined,
        transport: undefined,
        storage: new MemoryStorage(
          this.diskMs.has(id)
            ? { writeLatency: { timer: this.clock, latencyMs: () => this.diskMs.get(id) ?? 0 } }
            : {},
        ),
        state: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }),
      };
      this.members.set(id, m);
    }
    m.transport = this.network.transport(id);
    m.node = await createNode({
      id,
      clusterId: 'mem',
      storage: m.storage,
      transport: m.transport,
      clock: this.clock,
      rng: seededRng(this.seedCounter++),
      stateLevel: m.state,
      initialVoters: this.founders,
      options: { ...this.options, ...options },
    });
    return m.node;
  }

  node(id: NodeId): FlotillaNode {
    const n = this.members.get(id)?.node;
    if (n === undefined) throw new Error(`node ${id} is not running`);
    return n;
  }

  /** Messages node `id`'s current transport was asked to send. */
  sent(id: NodeId): number {
    return this.members.get(id)!.transport!.stats().sent;
  }

  /**
   * Calls `fn` with every message node `id`'s current transport sends (until it
   * is closed): tests capture frames with it and replay them with `inject`.
   */
  tap(id: NodeId, fn: (to: NodeId, message: WireMessage) => void): void {
    const t = this.members.get(id)!.transport!;
    const send = t.send.bind(t);
    t.send = (to, messages) => {
      for (const message of messages) fn(to, message);
      send(to, messages);
    };
  }

  /** Hands `messages` to node `to` as if they had just arrived from `from` (a frame left in a link, say). */
  inject(from: NodeId, to: NodeId, messages: WireMessage[]): void {
    this.members.get(to)!.transport!.receive(messages, from);
  }

  running(): FlotillaNode[] {
    return [...this.members.values()].flatMap((m) => (m.node === undefined ? [] : [m.node]));
  }

  /** The one node that leads with an entry of its term committed, if any. */
  leader(): FlotillaNode | undefined {
    return this.running().find((n) => n.status().role === 'leader');
  }

  async crash(id: NodeId): Promise<void> {
    const m = this.members.get(id)!;
    await m.node!.crash();
    m.node = undefined;
    m.storage = m.storage.crash();
  }

  async close(id: NodeId): Promise<void> {
    const m = this.members.get(id)!;
    await m.node!.close();
    m.node = undefined;
  }

  /** Lets `ms` of virtual time pass. */
  async run(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) {
      this.clock.advance(1);
      await drain();
    }
  }

  /** Runs virtual time until `pred` holds; fails after `maxMs`. */
  async until(pred: () => boolean, what: string, maxMs = 10_000): Promise<number> {
    const start = this.clock.now();
    for (;;) {
      await drain();
      if (pred()) return this.clock.now() - start;
      if (this.clock.now() - start >= maxMs)
        throw new Error(`not within ${maxMs} virtual ms: ${what}`);
      this.clock.advance(1);
    }
  }

  /** Resolves `p` while running virtual time (a request needs the cluster to make progress). */
  async settle<T>(p: Promise<T>, maxMs = 10_000): Promise<T> {
    let done = false;
    const watched = p.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    await this.until(() => done, 'request to settle', maxMs);
    return watched;
  }

  async waitLeader(maxMs = 5_000): Promise<FlotillaNode> {
    await this.until(
      () => this.leader() !== undefined && this.leader()!.status().commitIndex >= 1,
      'a leader with a committed entry',
      maxMs,
    );
    return this.leader()!;
  }

  async shutdown(): Promise<void> {
    for (const m of this.members.values()) {
      const n = m.node;
      m.node = undefined;
      if (n !== undefined) await n.close();
    }
  }
}

/** Lets promise chains and memory-level's deferred work run to completion. */
async function drain(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
