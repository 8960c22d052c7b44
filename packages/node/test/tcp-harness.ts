// Real clusters in one process: LevelDB data directories under a temp dir,
// TCP on loopback, the system clock. Waits are bounded polls, never sleeps.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeId } from '@flotilla/raft';
import { freePort, type PeerAddress } from '@flotilla/transport';
import { openNode, type FlotillaNode, type NodeOptions } from '../src/index.js';

/** Short timing for tests: election timeout 100–200 ms. */
export const TCP_TEST_OPTIONS: NodeOptions = { tickMs: 10, electionTicks: 10, heartbeatTicks: 2 };

export { freePort };

/** Polls `pred` every 10 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(
  pred: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export class TcpCluster {
  readonly nodes = new Map<NodeId, FlotillaNode>();
  readonly addresses = new Map<NodeId, PeerAddress>();

  private constructor(
    readonly dir: string,
    readonly founders: readonly NodeId[],
    readonly options: NodeOptions,
  ) {}

  static async start(ids: readonly NodeId[], options: NodeOptions = {}): Promise<TcpCluster> {
    const c = new TcpCluster(await mkdtemp(path.join(tmpdir(), 'flotilla-node-')), ids, {
      ...TCP_TEST_OPTIONS,
      ...options,
    });
    for (const id of ids) c.addresses.set(id, { host: '127.0.0.1', port: await freePort() });
    await Promise.all(ids.map((id) => c.open(id)));
    return c;
  }

  /** Opens (or reopens) member `id`; a new id gets a fresh port and the founders as initial voters. */
  async open(id: NodeId): Promise<FlotillaNode> {
    if (!this.addresses.has(id))
      this.addresses.set(id, { host: '127.0.0.1', port: await freePort() });
    const peers = new Map([...this.addresses].filter(([peer]) => peer !== id));
    const node = await openNode({
      id,
      clusterId: 'tcp-test',
      dataDir: path.join(this.dir, `n${id}`),
      listen: this.addresses.get(id)!,
      peers,
      initialVoters: this.founders,
      tcp: { reconnect: { baseMs: 20, maxMs: 200 } },
      ...this.options,
    });
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): FlotillaNode {
    return this.nodes.get(id)!;
  }

  leader(): FlotillaNode | undefined {
    const leaders = [...this.nodes.values()].filter(
      (n) => n.status().role === 'leader' && n.status().commitIndex > 0,
    );
    return leaders.length === 1 ? leaders[0] : undefined;
  }

  async waitLeader(timeoutMs = 10_000): Promise<FlotillaNode> {
    await waitFor(() => this.leader() !== undefined, 'one leader', timeoutMs);
    return this.leader()!;
  }

  async crash(id: NodeId): Promise<void> {
    await this.nodes.get(id)!.crash();
    this.nodes.delete(id);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.close()));
    this.nodes.clear();
    await rm(this.dir, { recursive: true, force: true });
  }
}
