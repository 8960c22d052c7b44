// The cost of the thread hop: one member (LevelDB, no peers) opened with
// openNode in a worker thread (the default) and inline, the same calls timed
// from the host. A serializable read is almost nothing but the hop; a put adds
// a synced LevelDB write and an apply. Concurrent puts show the batching: how
// many messages each postMessage carries, each way.
//
//   cd benchmarks && node --conditions=source --import tsx node/worker-hop.ts [--seconds=5]
//
// Writes benchmarks/results/worker-hop.json.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInfo } from './run-info.js';
import { bytes } from '@flotilla/kv';
import { openNode, WorkerNode, type FlotillaNode } from '@flotilla/node';

const secondsArg = process.argv.find((a) => a.startsWith('--seconds='));
const SECONDS = secondsArg === undefined ? 5 : Number(secondsArg.slice('--seconds='.length));
const SEQUENTIAL_CALLS = 2_000;
const CONCURRENT = 64;
const VALUE = new Uint8Array(256).fill(7);
const here = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.resolve(here, '../results/worker-hop.json');

type Thread = 'worker' | 'inline';

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

async function timeEach(n: number, call: (i: number) => Promise<unknown>) {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { calls: n, p50Ms: round3(quantile(ms, 0.5)), p99Ms: round3(quantile(ms, 0.99)) };
}

async function concurrentPuts(node: FlotillaNode) {
  let stop = false;
  let done = 0;
  const hop = node instanceof WorkerNode ? { ...node.hop } : undefined;
  const t0 = performance.now();
  const clients = Array.from({ length: CONCURRENT }, async (_, c) => {
    for (let i = 0; !stop; i++) {
      await node.put({ key: bytes(`c/${c}/${i % 100}`), value: VALUE });
      done++;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  stop = true;
  await Promise.all(clients);
  const seconds = (performance.now() - t0) / 1000;
  const result: Record<string, number> = {
    clients: CONCURRENT,
    putsPerSec: Math.round(done / seconds),
  };
  if (node instanceof WorkerNode && hop !== undefined) {
    const h = node.hop;
    const sent = h.messagesSent - hop.messagesSent;
    const received = h.messagesReceived - hop.messagesReceived;
    result['messagesToWorker'] = sent;
    result['messagesPerPostToWorker'] = round3(sent / (h.postsSent - hop.postsSent));
    result['messagesFromWorker'] = received;
    result['messagesPerPostFromWorker'] = round3(received / (h.postsReceived - hop.postsReceived));
  }
  return result;
}

async function run(thread: Thread, dir: string) {
  const node = await openNode({
    id: 1,
    clusterId: 'hop',
    dataDir: path.join(dir, thread),
    listen: { host: '127.0.0.1', port: 0 },
    peers: {},
    thread,
  });
  try {
    await node.ready({ timeoutMs: 10_000 });
    await node.put({ key: bytes('r'), value: VALUE });
    // Warm-up: JIT both sides of the hop.
    for (let i = 0; i < 500; i++)
      await node.range({ key: bytes('r') }, { consistency: 'serializable' });
    const read = await timeEach(SEQUENTIAL_CALLS, () =>
      node.range({ key: bytes('r') }, { consistency: 'serializable' }),
    );
    const put = await timeEach(SEQUENTIAL_CALLS, (i) =>
      node.put({ key: bytes(`s/${i % 100}`), value: VALUE }),
    );
    const concurrent = await concurrentPuts(node);
    return { thread, serializableRead: read, sequentialPut: put, concurrentPut: concurrent };
  } finally {
    await node.close();
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'flotilla-hop-'));
try {
  const runs = [];
  for (const thread of ['inline', 'worker'] as const) {
    const r = await run(thread, dir);
    console.log(JSON.stringify(r));
    runs.push(r);
  }
  const [inline, worker] = runs as [
    Awaited<ReturnType<typeof run>>,
    Awaited<ReturnType<typeof run>>,
  ];
  const result = {
    ...runInfo('worker-hop', here),
    secondsPerConcurrentRun: SECONDS,
    runs,
    hopMs: {
      serializableReadP50: round3(worker.serializableRead.p50Ms - inline.serializableRead.p50Ms),
      sequentialPutP50: round3(worker.sequentialPut.p50Ms - inline.sequentialPut.p50Ms),
    },
  };
  await mkdir(path.dirname(resultsFile), { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`hop (worker - inline, p50): ${JSON.stringify(result.hopMs)}; wrote ${resultsFile}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
