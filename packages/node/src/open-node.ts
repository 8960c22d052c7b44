// The convenience for embedding: LevelDB storage in dataDir, a TCP transport,
// the system clock and a random seed, composed by createNode. By default the
// node runs in a worker thread of its own (thread/worker-node.ts), so that a
// busy host event loop never delays heartbeats, votes, appends or applies.
import { randomInt } from 'node:crypto';
import { seededRng } from '@flotilla/raft';
import { openLevelStorage, type Storage } from '@flotilla/storage';
import {
  checkExposure,
  DEFAULT_CLUSTER_TOKEN,
  systemClock,
  TcpTransport,
} from '@flotilla/transport';
import { createNodeWith } from './create-node.js';
import { NodeOptionsError } from './errors.js';
import { SkewedClock } from './skewed-clock.js';
import type { FlotillaNode } from './flotilla-node.js';
import type { InlineNode } from './node.js';
import { openWorkerNode } from './thread/worker-node.js';
import type { OpenNodeOptions } from './open-node-options.js';
import type { NodeOptions } from './options.js';

export type { OpenNodeOptions } from './open-node-options.js';

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
  'testFailWritesAfterMs',
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
  if (options.testFailWritesAfterMs !== undefined)
    failWritesAfter(storage, options.testFailWritesAfterMs);
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

/** TEST ONLY (testFailWritesAfterMs): log writes fail from `ms` after now on, as a failing disk's would. */
function failWritesAfter(storage: Storage, ms: number): void {
  const failFromMs = Date.now() + ms;
  const persist = storage.persist.bind(storage);
  storage.persist = (batch, writeOptions) =>
    Date.now() < failFromMs
      ? persist(batch, writeOptions)
      : Promise.reject(
          Object.assign(new Error('EIO: i/o error, write (testFailWritesAfterMs)'), {
            code: 'EIO',
          }),
        );
}
