// The load generator. Closed loop: each client sends its next request when
// the previous one is answered. Open loop (rate > 0): request i is due at
// start + i/rate whatever happened before, and its latency is measured from
// that intended time, so a stall shows up as the queueing it causes
// (no coordinated omission).
import { LatencyHistogram } from './histogram.js';

export interface LoadSpec {
  readonly clients: number;
  /** Stop after this many requests ... */
  readonly total?: number;
  /** ... or after this long (whichever is given; total wins if both). */
  readonly durationMs?: number;
  /** Requests per second across all clients; 0/undefined: closed loop. */
  readonly rate?: number;
  /** Performs request `i` on behalf of client `client`. */
  readonly op: (i: number, client: number) => Promise<unknown>;
  /** Called about every 250 ms with the requests done so far. */
  readonly onProgress?: (done: number) => void;
  /** Distinct error messages kept (the rest are only counted). */
  readonly errorSamplesMax?: number;
}

export interface LoadResult {
  readonly histogram: LatencyHistogram;
  readonly ok: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly elapsedMs: number;
  /** Successful requests per second of wall time. */
  readonly throughput: number;
}

export class LoadSpecError extends Error {
  override readonly name = 'LoadSpecError';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (!Number.isInteger(spec.clients) || spec.clients <= 0)
    throw new LoadSpecError(`clients must be a positive integer, got ${spec.clients}`);
  if (spec.total === undefined && spec.durationMs === undefined)
    throw new LoadSpecError('a load needs a total or a duration');
  const rate = spec.rate ?? 0;
  const histogram = new LatencyHistogram();
  const samplesMax = spec.errorSamplesMax ?? 5;
  const errorSamples: string[] = [];
  let ok = 0;
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const deadline = spec.durationMs === undefined ? Infinity : start + spec.durationMs;
  const more = (): boolean =>
    spec.total !== undefined ? next < spec.total : performance.now() < deadline;
  const progress =
    spec.onProgress === undefined
      ? undefined
      : setInterval(() => spec.onProgress!(ok + errors), 250);

  const client = async (c: number): Promise<void> => {
    while (more()) {
      const i = next++;
      let t0 = performance.now();
      if (rate > 0) {
        const due = start + (i * 1000) / rate;
        if (due > deadline) return;
        if (due > t0) await sleep(due - t0);
        t0 = due;
      }
      try {
        await spec.op(i, c);
        histogram.record(performance.now() - t0);
        ok++;
      } catch (err) {
        errors++;
        const text = `${(err as Error).name}: ${(err as Error).message}`.slice(0, 300);
        if (errorSamples.length < samplesMax && !errorSamples.includes(text))
          errorSamples.push(text);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: spec.clients }, (_, c) => client(c)));
  } finally {
    if (progress !== undefined) clearInterval(progress);
  }
  const elapsedMs = performance.now() - start;
  return {
    histogram,
    ok,
    errors,
    errorSamples,
    elapsedMs,
    throughput: (ok * 1000) / Math.max(1, elapsedMs),
  };
}
