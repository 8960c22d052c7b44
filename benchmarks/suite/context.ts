// What every scenario gets: the settings, the progress display, where
// clusters keep their data, and the workload's key and value.
import type { KV } from '@flotilla/client';
import type { CpuRecord } from './cpu.js';
import { keyOf, type Settings } from './flags.js';
import type { LoadResult } from './load.js';
import type { Progress } from './progress.js';
import { round, type LatencySummary, type PercentilePoint } from './histogram.js';

export interface RunContext {
  readonly settings: Settings;
  readonly progress: Progress;
  /** Parent directory of every cluster's data (removed at the end). */
  readonly dataDir: string;
  /** Functional failures seen (a scenario that could not run, a load with no successful request…). */
  readonly failures: string[];
}

/** A load's result as stored in the JSON. */
export interface LoadRecord {
  readonly clients: number;
  readonly rate: number;
  readonly ok: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly seconds: number;
  readonly throughput: number;
  readonly latencyMs: LatencySummary;
  readonly curve: readonly PercentilePoint[];
  /** CPU of every process of the target per write (the throughput sweep). */
  readonly cpu?: CpuRecord;
}

export function loadRecord(r: LoadResult, clients: number, rate: number): LoadRecord {
  return {
    clients,
    rate,
    ok: r.ok,
    errors: r.errors,
    errorSamples: r.errorSamples,
    seconds: round(r.elapsedMs / 1000),
    throughput: Math.round(r.throughput),
    latencyMs: r.histogram.summary(),
    curve: r.histogram.percentileCurve(),
  };
}

/** A load that answered nothing is a functional failure whatever the timings. */
export function checkLoad(ctx: RunContext, what: string, r: LoadResult): void {
  if (r.ok === 0)
    ctx.failures.push(
      `${what}: no request succeeded (${r.errors} errors; ${r.errorSamples.join(' | ')})`,
    );
}

export function valueOf(settings: Settings): Uint8Array {
  return new Uint8Array(settings.valSizeBytes).fill(0x61);
}

/** Random key in the key space (like etcd's benchmark without --sequential-keys). */
export function randomKey(settings: Settings): string {
  return keyOf(Math.floor(Math.random() * settings.keySpaceSize), settings);
}

export function putOp(kv: KV, settings: Settings): () => Promise<unknown> {
  const value = valueOf(settings);
  return () => kv.put(randomKey(settings), value);
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
