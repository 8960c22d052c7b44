// Group commit on a real cluster: 3 nodes in this process, LevelDB data
// directories, TCP on loopback, real time. N proposers each keep one put in
// flight on the leader; the driver folds the proposals that arrive while a
// batch is being written into the next batch, so entries per fsync should grow
// with N.
//
//   cd benchmarks && node --conditions=source --import tsx node/group-commit.ts [--seconds=10]
//
// Writes benchmarks/results/node.json. Target (issue 6): entries per fsync > 10
// at 64 concurrent proposers; report commit latency p50/p99.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openNode, type FlotillaNode, type HistogramSummary } from '@flotilla/node';

const secondsArg = process.argv.find((a) => a.startsWith('--seconds='));
const MEASURE_SECONDS =
  secondsArg === undefined ? 10 : Number(secondsArg.slice('--seconds='.length));
const WARMUP_SECONDS = 2;
const PROPOSER_COUNTS = [1, 64];
const VALUE_BYTES = 256;
const TARGET_ENTRIES_PER_FSYNC = 10;
const here = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.resolve(here, '../results/node.json');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startCluster(dir: string): Promise<FlotillaNode[]> {
  const ids = [1, 2, 3];
  const addresses = new Map(
    await Promise.all(
      ids.map(async (id) => [id, { host: '127.0.0.1', port: await freePort() }] as const),
    ),
  );
  return Promise.all(
    ids.map((id) =>
      openNode({
        id,
        clusterId: 'bench',
        dataDir: path.join(dir, `n${id}`),
        listen: addresses.get(id)!,
        peers: new Map([...addresses].filter(([peer]) => peer !== id)),
      }),
    ),
  );
}

async function waitLeader(nodes: FlotillaNode[]): Promise<FlotillaNode> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const leader = nodes.find((n) => n.status().role === 'leader' && n.status().commitIndex > 0);
    if (leader !== undefined) return leader;
    if (performance.now() > deadline) throw new Error('no leader within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Sum and count of a histogram summary, to difference two snapshots of it. */
const totals = (h: HistogramSummary) => ({ count: h.count, sum: h.mean * h.count });

interface Run {
  proposers: number;
  seconds: number;
  writes: number;
  writesPerSec: number;
  commitLatencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  fsyncs: number;
  entriesPerFsync: number;
  fsyncMsMean: number;
  entriesPerMessageMean: number;
  stateLatencyMsP50: Record<string, number>;
}

async function run(leader: FlotillaNode, proposers: number): Promise<Run> {
  const value = new Uint8Array(VALUE_BYTES).fill(7);
  let measuring = false;
  let stop = false;
  let seq = 0;
  const latencies: number[] = [];
  const workers = Array.from({ length: proposers }, async (_, w) => {
    while (!stop) {
      const t0 = performance.now();
      await leader.put({ key: new TextEncoder().encode(`p${w}/${seq++ % 1000}`), value });
      if (measuring) latencies.push(performance.now() - t0);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, WARMUP_SECONDS * 1000));
  const before = leader.status().metrics;
  measuring = true;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, MEASURE_SECONDS * 1000));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const after = leader.status().metrics;
  stop = true;
  await Promise.all(workers);
  const fs0 = totals(before.entriesPerFsync);
  const fs1 = totals(after.entriesPerFsync);
  const ms0 = totals(before.fsyncMs);
  const ms1 = totals(after.fsyncMs);
  const em0 = totals(before.entriesPerMessage);
  const em1 = totals(after.entriesPerMessage);
  const fsyncs = fs1.count - fs0.count;
  latencies.sort((a, b) => a - b);
  return {
    proposers,
    seconds: round3(seconds),
    writes: latencies.length,
    writesPerSec: Math.round(latencies.length / seconds),
    commitLatencyMs: {
      p50: round3(quantile(latencies, 0.5)),
      p90: round3(quantile(latencies, 0.9)),
      p99: round3(quantile(latencies, 0.99)),
      mean: round3(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
      max: round3(latencies.at(-1) ?? 0),
    },
    fsyncs,
    entriesPerFsync: round3((fs1.sum - fs0.sum) / Math.max(1, fsyncs)),
    fsyncMsMean: round3((ms1.sum - ms0.sum) / Math.max(1, ms1.count - ms0.count)),
    entriesPerMessageMean: round3((em1.sum - em0.sum) / Math.max(1, em1.count - em0.count)),
    stateLatencyMsP50: Object.fromEntries(
      Object.entries(after.stateLatencyMs).map(([id, h]) => [id, round3(h.p50)]),
    ),
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flotilla-bench-node-'));
  const nodes = await startCluster(dir);
  try {
    const leader = await waitLeader(nodes);
    const runs: Run[] = [];
    for (const proposers of PROPOSER_COUNTS) {
      const r = await run(leader, proposers);
      runs.push(r);
      console.log(
        `${String(proposers).padStart(3)} proposers: ${r.writesPerSec} writes/s, ${r.entriesPerFsync} entries/fsync, ` +
          `commit p50 ${r.commitLatencyMs.p50} ms p99 ${r.commitLatencyMs.p99} ms, fsync ${r.fsyncMsMean} ms, ` +
          `entries/append ${r.entriesPerMessageMean}, state latency p50 ${JSON.stringify(r.stateLatencyMsP50)}`,
      );
    }
    const at64 = runs.find((r) => r.proposers === 64)!;
    const result = {
      benchmark: 'node/group-commit',
      date: new Date().toISOString(),
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cpus: os.cpus().length,
      setup: {
        nodes: 3,
        transport: 'tcp loopback',
        storage: 'leveldb (classic-level), synced batches',
        valueBytes: VALUE_BYTES,
        warmupSeconds: WARMUP_SECONDS,
        measureSeconds: MEASURE_SECONDS,
        proposersOn: 'leader',
      },
      runs,
      target: {
        entriesPerFsyncAt64Min: TARGET_ENTRIES_PER_FSYNC,
        measured: at64.entriesPerFsync,
        met: at64.entriesPerFsync > TARGET_ENTRIES_PER_FSYNC,
      },
    };
    await mkdir(path.dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `target entries/fsync > ${TARGET_ENTRIES_PER_FSYNC} at 64 proposers: ${result.target.met ? 'met' : 'NOT met'} (${at64.entriesPerFsync}); wrote ${resultsFile}`,
    );
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
