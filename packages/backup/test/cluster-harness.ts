// Real members in one process: LevelDB data directories, TCP on loopback, the
// system clock. Waits are bounded polls, never fixed sleeps.
import path from 'node:path';
import { bytes, prefixEnd, type KeyValue } from '@flotilla/kv';
import { openNode, type FlotillaNode, type NodeOptions } from '@flotilla/node';
import type { NodeId } from '@flotilla/raft';
import { freePort, type PeerAddress } from '@flotilla/transport';

/** Election timeout 100–200 ms. */
export const FAST: NodeOptions = { tickMs: 10, electionTicks: 10, heartbeatTicks: 2 };

export { freePort };

export async function waitFor(
  pred: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await pred())) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export class Members {
  readonly nodes = new Map<NodeId, FlotillaNode>();
  readonly addresses = new Map<NodeId, PeerAddress>();

  constructor(
    readonly clusterId: string,
    readonly root: string,
  ) {}

  dataDir(id: NodeId): string {
    return path.join(this.root, `${this.clusterId}-n${id}`);
  }

  /** Opens member `id` knowing the given peers (default: every member with an address). */
  async open(
    id: NodeId,
    opts: { peers?: readonly NodeId[]; initialVoters?: readonly NodeId[]; dataDir?: string } = {},
  ): Promise<FlotillaNode> {
    if (!this.addresses.has(id))
      this.addresses.set(id, { host: '127.0.0.1', port: await freePort() });
    const peerIds = opts.peers ?? [...this.addresses.keys()].filter((p) => p !== id);
    const node = await openNode({
      id,
      clusterId: this.clusterId,
      dataDir: opts.dataDir ?? this.dataDir(id),
      listen: this.addresses.get(id)!,
      peers: new Map(peerIds.map((p) => [p, this.addresses.get(p)!] as const)),
      ...(opts.initialVoters !== undefined ? { initialVoters: opts.initialVoters } : {}),
      tcp: { reconnect: { baseMs: 20, maxMs: 200 } },
      ...FAST,
    });
    this.nodes.set(id, node);
    return node;
  }

  async startAll(ids: readonly NodeId[]): Promise<void> {
    for (const id of ids) this.addresses.set(id, { host: '127.0.0.1', port: await freePort() });
    await Promise.all(ids.map((id) => this.open(id)));
  }

  node(id: NodeId): FlotillaNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`member ${id} is not running`);
    return n;
  }

  leader(): FlotillaNode | undefined {
    return [...this.nodes.values()].find((n) => n.status().role === 'leader');
  }

  async waitLeader(): Promise<FlotillaNode> {
    await waitFor(() => this.leader() !== undefined, `a leader in ${this.clusterId}`);
    return this.leader()!;
  }

  /** Every running member applied what the leader committed. */
  async waitConverged(): Promise<void> {
    const leader = await this.waitLeader();
    const target = leader.status().commitIndex;
    await waitFor(
      () => [...this.nodes.values()].every((n) => n.status().appliedIndex >= target),
      `members applied ${target}`,
    );
  }

  async crash(id: NodeId): Promise<void> {
    await this.node(id).crash();
    this.nodes.delete(id);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.close()));
    this.nodes.clear();
  }
}

/** Every key under `prefix` in the node's applied state, paged. */
export async function scan(
  node: FlotillaNode,
  prefix: string,
  consistency: 'linearizable' | 'serializable' = 'serializable',
): Promise<KeyValue[]> {
  const out: KeyValue[] = [];
  const end = prefixEnd(bytes(prefix));
  let from = bytes(prefix);
  for (;;) {
    const r = await node.range({ key: from, rangeEnd: end, limit: 1000 }, { consistency });
    out.push(...r.kvs);
    if (!r.more || r.kvs.length === 0) return out;
    const last = r.kvs[r.kvs.length - 1]!.key;
    from = new Uint8Array([...last, 0]);
  }
}
