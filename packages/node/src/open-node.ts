// The convenience for embedding: LevelDB storage in dataDir, a TCP transport,
// the system clock and a random seed, composed by createNode. By default the
// node runs in a worker thread of its own (thread/worker-node.ts), so that a
// busy host event loop never delays heartbeats, votes, appends or applies.
import { randomInt } from 'node:crypto';
import { seededRng, type NodeId } from '@flotilla/raft';
import { openLevelStorage } from '@flotilla/storage';
import {
  checkExposure,
  DEFAULT_CLUSTER_TOKEN,
  systemClock,
  TcpTransport,
  type Logger,
  type PeerAddress,
  type PeerTlsOptions,
  type TcpTransportOptions,
} from '@flotilla/transport';
import { createNodeWith } from './create-node.js';
import { NodeOptionsError } from './errors.js';
import { SkewedClock, type ClockSkew } from './skewed-clock.js';
import type { FlotillaNode } from './flotilla-node.js';
import type { InlineNode } from './node.js';
import { openWorkerNode } from './thread/worker-node.js';
import type { NodeOptions } from './options.js';

export interface OpenNodeOptions extends NodeOptions {
  readonly id: NodeId;
  /** Default 'flotilla'. Every member of one cluster uses the same id; another cluster's nodes are refused. */
  readonly clusterId?: string;
  /** The member's data directory (LevelDB and snapshot files). */
  readonly dataDir: string;
  /** Where this node accepts peer connections; port 0 picks a free one (see node.listenAddress). */
  readonly listen: PeerAddress;
  /** The other members' addresses. */
  readonly peers: Readonly<Record<number, PeerAddress>> | ReadonlyMap<NodeId, PeerAddress>;
  /** Founding voters, needed on a new data directory. Default: this node and every peer. A joining member must pass the founders. */
  readonly initialVoters?: readonly NodeId[];
  /** More TCP options (frame and queue limits, reconnect back-off). */
  readonly tcp?: Omit<
    TcpTransportOptions,
    'id' | 'clusterId' | 'listen' | 'peers' | 'logger' | 'tls'
  >;
  /**
   * Mutual TLS between members (the CLI's --peer-cert-file, --peer-key-file,
   * --peer-trusted-ca-file, --peer-client-cert-auth, --peer-cert-allowed-cn).
   * A member's certificate must name it: SAN URI urn:flotilla:member:<id> or CN <id>
   * (or pass memberIdOf for names); see docs/security.md.
   */
  readonly peerTls?: PeerTlsOptions;
  readonly logger?: Logger;
  /** Seed for the Raft core's election timeouts; random by default. */
  readonly seed?: number;
  /**
   * TEST ONLY (the fault suite's clock nemesis): run this node's clock at
   * `rate` times real time, shifted by `offsetMs`. Never set in production.
   */
  readonly testClockSkew?: ClockSkew;
  /** TEST ONLY (the fault suite's slow-disk nemesis): wait this long after every synced write. */
  readonly testFsyncDelayMs?: number;
  /**
   * Where the node runs. `'worker'` (default): in a worker thread of its own;
   * this object is a proxy that forwards each call, so a host event loop
   * blocked for any length of time delays only its own calls, never
   * heartbeats, elections, log writes or applies. `'inline'`: in the caller's
   * event loop (what createNode does), sharing it with the host.
   */
  readonly thread?: 'worker' | 'inline';
  /**
   * TEST ONLY (worker-exit tests): the node's worker thread ends itself with
   * exit code 70 this long after the node opened. Never set in production.
   */
  readonly testWorkerExitAfterMs?: number;
}

const NODE_KEYS = new Set([
  'id',
  'clusterId',
  'dataDir',
  'listen',
  'peers',
  'initialVoters',
  'tcp',
  'peerTls',
  'logger',
  'seed',
  'testClockSkew',
  'testFsyncDelayMs',
  'thread',
  'testWorkerExitAfterMs',
]);

export function openNode(options: OpenNodeOptions): Promise<FlotillaNode> {
  const thread = options.thread ?? 'worker';
  if (thread === 'inline') return openInlineNode(options);
  if (thread !== 'worker')
    return Promise.reject(
      new NodeOptionsError(`thread must be 'worker' or 'inline', got ${JSON.stringify(thread)}`),
    );
  return openWorkerNode(options);
}

/** @internal openNode in this thread (also what the worker runs). */
export async function openInlineNode(options: OpenNodeOptions): Promise<InlineNode> {
  const clusterId = options.clusterId ?? DEFAULT_CLUSTER_TOKEN;
  // Beyond loopback: a loud warning without TLS, and the default token refused (before anything is opened).
  checkExposure({
    clusterId,
    listeners: [{ port: 'peer', host: options.listen.host, tls: options.peerTls !== undefined }],
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const peers =
    options.peers instanceof Map
      ? options.peers
      : new Map(Object.entries(options.peers).map(([k, v]) => [Number(k), v] as const));
  const nodeOptions = Object.fromEntries(
    Object.entries(options).filter(([k]) => !NODE_KEYS.has(k)),
  ) as NodeOptions;
  const clock =
    options.testClockSkew === undefined
      ? systemClock
      : new SkewedClock(systemClock, options.testClockSkew);
  const storage = await openLevelStorage({
    dir: options.dataDir,
    clusterId,
    nodeId: options.id,
    ...(options.testFsyncDelayMs !== undefined ? { fsyncDelayMs: options.testFsyncDelayMs } : {}),
  });
  let transport: TcpTransport | undefined;
  try {
    transport = new TcpTransport({
      ...options.tcp,
      id: options.id,
      clusterId,
      listen: options.listen,
      peers,
      ...(options.peerTls !== undefined ? { tls: options.peerTls } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    const { port } = await transport.listening();
    const t = transport;
    const node = await createNodeWith(
      {
        id: options.id,
        clusterId,
        storage,
        transport,
        clock,
        rng: seededRng(options.seed ?? randomInt(2 ** 31)),
        stateLevel: storage.stateLevel(),
        initialVoters: options.initialVoters ?? [options.id, ...peers.keys()].sort((a, b) => a - b),
        options: nodeOptions,
      },
      async () => {
        await t.close();
        await storage.close();
      },
      { host: options.listen.host, port },
    );
    return node;
  } catch (err) {
    await transport?.close();
    await storage.close();
    throw err;
  }
}
