// Garbage and CPU per applied write: what one committed put costs the heap
// and the CPU, at two levels, in this one thread (inline, so one V8 heap sees
// everything):
//   kv    — KvStateMachine.applyEntries on LevelDB (classic-level), batches of 64
//           encoded puts (the state machine alone: decode, MVCC, batch, events);
//   node  — one member opened with openNode (LevelDB, no peers, thread
//           'inline'), 64 concurrent writers (proposal, log write, apply, answer).
// Bytes allocated are summed from V8's GC statistics (v8.GCProfiler: the heap
// before each collection minus after the previous one), so they count
// everything allocated and collected, not what is live at the end.
//
//   cd benchmarks && node --conditions=source --import tsx node/apply-garbage.ts [--reps=5] [--sites] [--out=NAME]
//
// --sites adds, per level, the functions that allocated the most (V8's
// sampling heap profiler, counting objects already collected too).
//
// Writes benchmarks/results/NAME.json (default apply-garbage).
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInfo } from './run-info.js';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import { bytes, encodeCommand, KvStateMachine } from '@flotilla/kv';
import { openNode } from '@flotilla/node';
import { ClassicLevel } from 'classic-level';

const repsArg = process.argv.find((a) => a.startsWith('--reps='));
const REPS = repsArg === undefined ? 5 : Number(repsArg.slice('--reps='.length));
const KV_BATCHES = 300;
const BATCH = 64;
const NODE_WRITES = 20_000;
const CLIENTS = 64;
const KEYS = 1_000;
const VALUE = new Uint8Array(256).fill(7);
const SITES = process.argv.includes('--sites');
const here = path.dirname(fileURLToPath(import.meta.url));
const outArg = process.argv.find((a) => a.startsWith('--out='));
const OUT = outArg === undefined ? 'apply-garbage' : outArg.slice('--out='.length);
const resultsFile = path.resolve(here, `../results/${OUT}.json`);

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Cost {
  /** Bytes allocated per write (everything the heap saw come and go). */
  bytesPerWrite: number;
  /** Process CPU (user + system, every thread of the process) per write, µs. */
  cpuUsPerWrite: number;
  /** Scavenges (minor collections) per 1,000 writes. */
  minorGcsPer1k: number;
  /** Time in all collections per 1,000 writes, ms. */
  gcMsPer1k: number;
}

/** Runs `work` (which performs `writes` writes) under the GC profiler and the CPU clock. */
async function measure(writes: number, work: () => Promise<void>): Promise<Cost> {
  const profiler = new v8.GCProfiler();
  const usedAtStart = v8.getHeapStatistics().used_heap_size;
  const cpu0 = process.cpuUsage();
  profiler.start();
  await work();
  const data = profiler.stop();
  const cpu = process.cpuUsage(cpu0);
  let allocated = 0;
  let after = usedAtStart;
  let minor = 0;
  let gcUs = 0;
  for (const s of data.statistics) {
    allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - after);
    after = s.afterGC.heapStatistics.usedHeapSize;
    if (s.gcType === 'Scavenge' || s.gcType === 'MinorMarkCompact') minor++;
    gcUs += s.cost;
  }
  allocated += Math.max(0, v8.getHeapStatistics().used_heap_size - after);
  return {
    bytesPerWrite: Math.round(allocated / writes),
    cpuUsPerWrite: round3((cpu.user + cpu.system) / writes),
    minorGcsPer1k: round3((minor * 1000) / writes),
    gcMsPer1k: round3(gcUs / writes),
  };
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** Runs `work` under the sampling heap profiler; the top allocating functions, bytes per write. */
async function allocationSites(writes: number, work: () => Promise<void>) {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await work();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as {
    profile: { head: ProfileNode };
  };
  session.disconnect();
  const bySite = new Map<string, number>();
  const walk = (n: ProfileNode): void => {
    const { functionName, url, lineNumber } = n.callFrame;
    const site = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(packages|node_modules)\//, '')}:${lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  return [...bySite]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([site, bytes]) => ({ site, bytesPerWrite: Math.round(bytes / writes) }));
}

function putEntries(from: number, count: number): { index: number; data: Uint8Array }[] {
  return Array.from({ length: count }, (_, i) => ({
    index: from + i,
    data: encodeCommand({
      cmd: { op: 'put', request: { key: bytes(`k/${(from + i) % KEYS}`), value: VALUE } },
    }),
  }));
}

async function kvRun<T>(
  dir: string,
  rep: number,
  probe: (writes: number, work: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const level = new ClassicLevel<Uint8Array, Uint8Array>(path.join(dir, `kv-${rep}`), {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  const kv = await KvStateMachine.open(level, { answerBeforeWrite: true });
  // Encoded up front: the entries arrive encoded (the Raft log holds them), decoding is apply's.
  const warm = Array.from({ length: 50 }, (_, b) => putEntries(1 + b * BATCH, BATCH));
  for (const entries of warm) await kv.applyEntries(entries);
  const base = 1 + warm.length * BATCH;
  const batches = Array.from({ length: KV_BATCHES }, (_, b) => putEntries(base + b * BATCH, BATCH));
  const cost = await probe(KV_BATCHES * BATCH, async () => {
    for (const entries of batches) await kv.applyEntries(entries);
    await kv.written();
  });
  await kv.close();
  await level.close();
  return cost;
}

async function nodeRun<T>(
  dir: string,
  rep: number,
  probe: (writes: number, work: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const node = await openNode({
    id: 1,
    clusterId: 'garbage',
    dataDir: path.join(dir, `node-${rep}`),
    listen: { host: '127.0.0.1', port: 0 },
    peers: {},
    thread: 'inline',
  });
  try {
    await node.ready({ timeoutMs: 10_000 });
    const writers = async (total: number): Promise<void> => {
      let issued = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (issued < total) {
            const i = issued++;
            await node.put({ key: bytes(`k/${i % KEYS}`), value: VALUE });
          }
        }),
      );
    };
    await writers(5_000); // warm-up: JIT, the key index at its steady size
    return await probe(NODE_WRITES, () => writers(NODE_WRITES));
  } finally {
    await node.close();
  }
}

function summarize(runs: Cost[]): Cost {
  return {
    bytesPerWrite: Math.round(median(runs.map((r) => r.bytesPerWrite))),
    cpuUsPerWrite: round3(median(runs.map((r) => r.cpuUsPerWrite))),
    minorGcsPer1k: round3(median(runs.map((r) => r.minorGcsPer1k))),
    gcMsPer1k: round3(median(runs.map((r) => r.gcMsPer1k))),
  };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'flotilla-garbage-'));
try {
  const kvRuns: Cost[] = [];
  const nodeRuns: Cost[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    kvRuns.push(await kvRun(dir, rep, measure));
    nodeRuns.push(await nodeRun(dir, rep, measure));
    console.log(JSON.stringify({ rep, kv: kvRuns.at(-1), node: nodeRuns.at(-1) }));
  }
  const result = {
    ...runInfo('apply-garbage', here),
    setup: {
      kvBatches: KV_BATCHES,
      batch: BATCH,
      nodeWrites: NODE_WRITES,
      clients: CLIENTS,
      keys: KEYS,
      valueBytes: VALUE.byteLength,
      reps: REPS,
    },
    median: { kv: summarize(kvRuns), node: summarize(nodeRuns) },
    runs: { kv: kvRuns, node: nodeRuns },
    ...(SITES
      ? {
          sites: {
            kv: await kvRun(dir, REPS, allocationSites),
            node: await nodeRun(dir, REPS, allocationSites),
          },
        }
      : {}),
  };
  await mkdir(path.dirname(resultsFile), { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`median: ${JSON.stringify(result.median)}; wrote ${resultsFile}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
