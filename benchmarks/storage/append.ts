// Synced append throughput and latency of the LevelDB storage, as the node
// driver uses it: one persist({ entries, hardState }, { sync: true }) per batch.
//
//   cd benchmarks && node --conditions=source --import tsx storage/append.ts [--cell-ms=2000]
//
// Writes benchmarks/results/storage.json. Target (issue 3): a synced batch of
// 100 entries of 256 B costs less than 3x a synced batch of 1 entry of 256 B.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Entry } from '@flotilla/raft';
import { seededRng } from '@flotilla/raft';
import { openLevelStorage } from '@flotilla/storage';

const BATCH_SIZES = [1, 10, 100, 1000];
const VALUE_BYTES = [16, 256, 4096];
const WARMUP_BATCHES = 5;
const SAMPLES_MIN = 15;
const SAMPLES_MAX = 400;
const cellMsArg = process.argv.find((a) => a.startsWith('--cell-ms='));
/** Time spent measuring each cell; 12 cells keep the default run well under a minute. */
const CELL_MS = cellMsArg === undefined ? 1500 : Number(cellMsArg.slice('--cell-ms='.length));
const TARGET_RATIO_MAX = 3;
const TARGET_PAIRS_MAX = 1000;

interface Cell {
  batchSize: number;
  valueBytes: number;
  samples: number;
  latencyMs: { median: number; p99: number; mean: number; min: number; max: number };
  entriesPerSec: number;
  megabytesPerSec: number;
}

const createdDirs: string[] = [];
const here = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.resolve(here, '../results/storage.json');

/** Incompressible payloads, so LevelDB's Snappy compression does not flatter the numbers. */
function payload(bytes: number, seed: number): Uint8Array {
  const rng = seededRng(seed);
  return Uint8Array.from({ length: bytes }, () => Math.floor(rng.next() * 256));
}

function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** A fresh store and a function that persists one synced batch of `batchSize` entries. */
async function openWriter(
  valueBytes: number,
): Promise<{ persist: (batchSize: number) => Promise<void>; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flotilla-bench-storage-'));
  const storage = await openLevelStorage({ dir, clusterId: 'bench', nodeId: 1 });
  const data = Array.from({ length: 16 }, (_, i) => payload(valueBytes, i + 1));
  let next = 1;
  const persist = (batchSize: number): Promise<void> => {
    const entries: Entry[] = [];
    for (let i = 0; i < batchSize; i++, next++)
      entries.push({ type: 'normal', term: 1, index: next, data: data[next % data.length]! });
    return storage.persist(
      { entries, hardState: { term: 1, vote: 1, commit: next - 1 } },
      { sync: true },
    );
  };
  // Directories are removed at the end: deleting hundreds of MB between cells
  // makes the filesystem busy and slows the next cell's fsyncs.
  createdDirs.push(dir);
  const close = (): Promise<void> => storage.close();
  return { persist, close };
}

function summarise(latencies: readonly number[]): Cell['latencyMs'] {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    median: round3(percentile(sorted, 50)),
    p99: round3(percentile(sorted, 99)),
    mean: round3(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    min: round3(sorted[0]!),
    max: round3(sorted[sorted.length - 1]!),
  };
}

async function measureCell(batchSize: number, valueBytes: number): Promise<Cell> {
  const writer = await openWriter(valueBytes);
  const persist = (): Promise<void> => writer.persist(batchSize);
  try {
    for (let i = 0; i < WARMUP_BATCHES; i++) await persist();
    const latencies: number[] = [];
    const started = performance.now();
    while (
      latencies.length < SAMPLES_MAX &&
      (latencies.length < SAMPLES_MIN || performance.now() - started < CELL_MS)
    ) {
      const t0 = performance.now();
      await persist();
      latencies.push(performance.now() - t0);
    }
    const elapsedSec = (performance.now() - started) / 1000;
    return {
      batchSize,
      valueBytes,
      samples: latencies.length,
      latencyMs: summarise(latencies),
      entriesPerSec: Math.round((latencies.length * batchSize) / elapsedSec),
      megabytesPerSec: round3((latencies.length * batchSize * valueBytes) / elapsedSec / 1e6),
    };
  } finally {
    await writer.close();
  }
}

/**
 * The target ratio, measured with batches of 1 and of 100 alternating on one
 * store, so that background load on a shared machine hits both alike.
 */
async function measureTarget(): Promise<{
  one: Cell['latencyMs'];
  hundred: Cell['latencyMs'];
  pairs: number;
}> {
  const writer = await openWriter(256);
  try {
    for (let i = 0; i < WARMUP_BATCHES; i++) await writer.persist(100);
    const one: number[] = [];
    const hundred: number[] = [];
    const started = performance.now();
    while (
      one.length < TARGET_PAIRS_MAX &&
      (one.length < SAMPLES_MIN || performance.now() - started < 2 * CELL_MS)
    ) {
      let t0 = performance.now();
      await writer.persist(1);
      one.push(performance.now() - t0);
      t0 = performance.now();
      await writer.persist(100);
      hundred.push(performance.now() - t0);
    }
    return { one: summarise(one), hundred: summarise(hundred), pairs: one.length };
  } finally {
    await writer.close();
  }
}

async function main(): Promise<void> {
  const cells: Cell[] = [];
  console.log('batch  value   samples  median ms   p99 ms   entries/s     MB/s');
  for (const valueBytes of VALUE_BYTES) {
    for (const batchSize of BATCH_SIZES) {
      const c = await measureCell(batchSize, valueBytes);
      cells.push(c);
      console.log(
        `${String(batchSize).padStart(5)}  ${String(valueBytes).padStart(5)}  ${String(c.samples).padStart(8)}  ` +
          `${c.latencyMs.median.toFixed(3).padStart(9)}  ${c.latencyMs.p99.toFixed(3).padStart(7)}  ` +
          `${String(c.entriesPerSec).padStart(10)}  ${c.megabytesPerSec.toFixed(2).padStart(7)}`,
      );
    }
  }
  const paired = await measureTarget();
  const ratio = round3(paired.hundred.median / paired.one.median);
  const target = {
    description:
      'median latency of a synced batch of 100 x 256 B entries / that of a synced batch of 1 x 256 B entry, ' +
      'measured alternately on one store (each of the cells is measured on its own, one after another, and is noisier)',
    pairs: paired.pairs,
    batchOf1LatencyMs: paired.one,
    batchOf100LatencyMs: paired.hundred,
    ratio,
    ratioMax: TARGET_RATIO_MAX,
    met: ratio < TARGET_RATIO_MAX,
  };
  const cpus = os.cpus();
  const result = {
    benchmark: 'storage/append',
    description:
      'LevelStorage.persist({ entries, hardState }, { sync: true }) per batch; one fresh data directory per cell',
    date: new Date().toISOString(),
    setup: {
      node: process.version,
      cpuModel: cpus[0]?.model ?? 'unknown',
      cpuCount: cpus.length,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      dataDir: os.tmpdir(),
      cellMs: CELL_MS,
      warmupBatches: WARMUP_BATCHES,
      samplesMin: SAMPLES_MIN,
      samplesMax: SAMPLES_MAX,
    },
    target,
    cells,
  };
  await mkdir(path.dirname(resultsFile), { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `\ntarget (alternating, ${paired.pairs} pairs): 1x256B median ${paired.one.median} ms, 100x256B median ` +
      `${paired.hundred.median} ms, ratio ${ratio} — target < ${TARGET_RATIO_MAX}: ${target.met ? 'met' : 'missed'}`,
  );
  console.log(`wrote ${resultsFile}`);
}

try {
  await main();
} finally {
  for (const dir of createdDirs) await rm(dir, { recursive: true, force: true });
}
