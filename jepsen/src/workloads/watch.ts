// watch: writers put to a few keys while one watcher per node watches the
// prefix, stopping and resuming (from the next undelivered revision) at
// random. After healing, one fresh watch from the start reads the whole
// history. Each watcher's events must be ordered, unique, atomic per
// revision (one revision never split over two batches) and exactly the
// final history's events up to the last revision it delivered (no gaps).
import type { KV, Watch, WatchBatch } from '@flotilla/client';
import { textOf } from '@flotilla/client';
import {
  errorText,
  pause,
  writeMarker,
  type RunContext,
  type TimelineOp,
  type Workload,
  type WorkloadVerdict,
} from './workload.js';

const PREFIX = 'watch/';
const FINAL_WATCH_TIMEOUT_MS = 15_000;

interface SeenEvent {
  readonly revision: number;
  readonly key: string;
  readonly type: string;
  readonly value: string;
  readonly batch: number;
}

interface Segment {
  readonly lane: string;
  readonly fromRevision: number;
  readonly startMs: number;
  endMs: number;
  batches: number;
  events: number;
  error?: string;
}

interface Watcher {
  readonly lane: string;
  readonly events: SeenEvent[];
}

function flatten(batch: WatchBatch, index: number): SeenEvent[] {
  return batch.events.map((e) => ({
    revision: e.kv.modRevision,
    key: new TextDecoder().decode(e.kv.key),
    type: e.type,
    value: e.type === 'PUT' ? (textOf(e.kv) ?? '') : '',
    batch: index,
  }));
}

/** Waits for the next batch, or undefined once `deadlineMs` (wall clock) passes. */
async function nextBefore(w: Watch, deadlineMs: number): Promise<WatchBatch | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>(
    (resolve) =>
      (timer = setTimeout(() => resolve(undefined), Math.max(0, deadlineMs - Date.now()))),
  );
  try {
    return await Promise.race([w.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class WatchWorkload implements Workload {
  readonly name = 'watch';
  readonly #keys: number;
  #baseRevision = 0;
  readonly #watchers: Watcher[] = [];
  readonly #segments: Segment[] = [];
  readonly #writes: {
    lane: string;
    invokeMs: number;
    completeMs: number;
    outcome: 'ok' | 'fail' | 'unknown';
    label: string;
  }[] = [];
  #final: SeenEvent[] | undefined;
  #finalError: string | undefined;

  constructor(keys = 3) {
    this.#keys = keys;
  }

  async run(ctx: RunContext): Promise<void> {
    const starter = ctx.target.client(0, { requestTimeoutMs: 5_000 });
    try {
      this.#baseRevision = (
        await writeMarker(() => starter.put(`${PREFIX}base`, 'start'))
      ).header.revision;
    } finally {
      await starter.close().catch(() => undefined);
    }
    const tasks: Promise<void>[] = [];
    for (let node = 0; node < ctx.target.size; node++) {
      tasks.push(this.#watcher(ctx, node, ctx.rng.fork()));
      if (node < 2) tasks.push(this.#writer(ctx, node, ctx.rng.fork()));
    }
    await Promise.all(tasks);
  }

  async #writer(
    ctx: RunContext,
    node: number,
    rng: ReturnType<RunContext['rng']['fork']>,
  ): Promise<void> {
    const lane = `${ctx.target.names[node]}/ww`;
    const kv = ctx.target.client(node, { requestTimeoutMs: ctx.requestTimeoutMs });
    let seq = 0;
    try {
      while (ctx.now() < ctx.endMs) {
        const key = `${PREFIX}k${rng.int(0, this.#keys - 1)}`;
        const value = `${lane}:${seq++}`;
        const w = {
          lane,
          invokeMs: ctx.now(),
          completeMs: Infinity,
          outcome: 'unknown' as 'ok' | 'fail' | 'unknown',
          label: `put ${key} := ${value}`,
        };
        this.#writes.push(w);
        try {
          const res = await kv.put(key, value);
          w.outcome = 'ok';
          w.completeMs = ctx.now();
          w.label += ` → revision ${res.header.revision}`;
        } catch (err) {
          w.label += ` → unknown (${errorText(err).slice(0, 80)})`;
        }
        await pause(rng.int(10, 60));
      }
    } finally {
      await kv.close().catch(() => undefined);
    }
  }

  async #watcher(
    ctx: RunContext,
    node: number,
    rng: ReturnType<RunContext['rng']['fork']>,
  ): Promise<void> {
    const lane = `${ctx.target.names[node]}/watch`;
    const watcher: Watcher = { lane, events: [] };
    this.#watchers.push(watcher);
    const kv: KV = ctx.target.client(node, { requestTimeoutMs: ctx.requestTimeoutMs });
    let next = this.#baseRevision + 1;
    let batchIndex = 0;
    try {
      while (ctx.now() < ctx.endMs) {
        const segment: Segment = {
          lane,
          fromRevision: next,
          startMs: ctx.now(),
          endMs: Infinity,
          batches: 0,
          events: 0,
        };
        this.#segments.push(segment);
        const stopAt =
          Date.now() + Math.min(rng.int(2_000, 6_000), Math.max(0, ctx.endMs - ctx.now()));
        const w = kv.watch({ prefix: PREFIX }, { startRevision: next });
        try {
          for (;;) {
            const batch = await nextBefore(w, stopAt);
            if (!batch) break;
            const events = flatten(batch, batchIndex++);
            watcher.events.push(...events);
            segment.batches++;
            segment.events += events.length;
            const last = events[events.length - 1];
            if (last) next = last.revision + 1;
          }
        } catch (err) {
          segment.error = errorText(err);
        } finally {
          w.cancel();
          segment.endMs = ctx.now();
        }
        await pause(rng.int(100, 600));
      }
    } finally {
      await kv.close().catch(() => undefined);
    }
  }

  async final(ctx: RunContext): Promise<void> {
    const kv = ctx.target.client(0, { requestTimeoutMs: 5_000 });
    try {
      const endRevision = (await writeMarker(() => kv.put(`${PREFIX}end`, 'end'))).header.revision;
      const w = kv.watch({ prefix: PREFIX }, { startRevision: this.#baseRevision + 1 });
      const events: SeenEvent[] = [];
      const deadline = Date.now() + FINAL_WATCH_TIMEOUT_MS;
      let index = 0;
      try {
        while (!events.some((e) => e.revision >= endRevision)) {
          const batch = await nextBefore(w, deadline);
          if (!batch)
            throw new Error(
              `the final watch did not reach revision ${endRevision} within ${FINAL_WATCH_TIMEOUT_MS} ms`,
            );
          events.push(...flatten(batch, index++));
        }
      } finally {
        w.cancel();
      }
      this.#final = events;
    } catch (err) {
      this.#finalError = errorText(err);
    } finally {
      await kv.close().catch(() => undefined);
    }
  }

  check(): WorkloadVerdict {
    const anomalies: string[] = [];
    const final = this.#final;
    if (!final) anomalies.push(`no final history: ${this.#finalError ?? 'final() did not run'}`);
    let delivered = 0;
    for (const w of this.#watchers) {
      delivered += w.events.length;
      anomalies.push(...checkWatcher(w, final ?? []).map((a) => `${w.lane}: ${a}`));
    }
    const okWrites = this.#writes.filter((w) => w.outcome === 'ok').length;
    return {
      workload: this.name,
      valid: anomalies.length === 0,
      stats: {
        writes: this.#writes.length,
        writesOk: okWrites,
        watchers: this.#watchers.length,
        segments: this.#segments.length,
        segmentsEndedByError: this.#segments.filter((s) => s.error !== undefined).length,
        eventsDelivered: delivered,
        finalHistoryEvents: final?.length ?? 0,
      },
      anomalies: anomalies.slice(0, 50),
    };
  }

  timeline(): TimelineOp[] {
    const writes: TimelineOp[] = this.#writes.map((w, i) => ({
      id: `w${i}`,
      lane: w.lane,
      invokeMs: w.invokeMs,
      completeMs: w.completeMs,
      outcome: w.outcome,
      label: w.label,
    }));
    const segs: TimelineOp[] = this.#segments.map((s, i) => ({
      id: `seg${i}`,
      lane: s.lane,
      invokeMs: s.startMs,
      completeMs: s.endMs,
      outcome: s.error ? 'fail' : 'ok',
      label: `watch from revision ${s.fromRevision}: ${s.batches} batches, ${s.events} events${s.error ? `; ended by ${s.error.slice(0, 80)}` : ''}`,
    }));
    return [...writes, ...segs];
  }
}

/** The watch guarantees for one watcher against the final history. */
export function checkWatcher(
  w: { readonly events: readonly SeenEvent[] },
  final: readonly SeenEvent[],
): string[] {
  const out: string[] = [];
  const batchOf = new Map<number, number>();
  const seen = new Set<string>();
  let previous = 0;
  for (const e of w.events) {
    if (e.revision < previous)
      out.push(`revision ${e.revision} delivered after ${previous} (out of order)`);
    previous = Math.max(previous, e.revision);
    const id = `${e.revision}/${e.key}`;
    if (seen.has(id)) out.push(`event ${id} delivered twice`);
    seen.add(id);
    const b = batchOf.get(e.revision);
    if (b !== undefined && b !== e.batch)
      out.push(`revision ${e.revision} split over batches ${b} and ${e.batch} (not atomic)`);
    batchOf.set(e.revision, e.batch);
  }
  if (final.length === 0 && w.events.length === 0) return out;
  const last = w.events[w.events.length - 1]?.revision ?? 0;
  const expected = final.filter((e) => e.revision <= last);
  const describe = (e: SeenEvent | undefined): string =>
    e ? `${e.type} ${e.key}=${JSON.stringify(e.value)}@${e.revision}` : 'nothing';
  for (let i = 0; i < Math.max(expected.length, w.events.length); i++) {
    const a = w.events[i];
    const b = expected[i];
    if (
      !a ||
      !b ||
      a.revision !== b.revision ||
      a.key !== b.key ||
      a.type !== b.type ||
      a.value !== b.value
    ) {
      out.push(
        `event #${i}: watcher saw ${describe(a)}, the final history has ${describe(b)} (gap, extra or different event)`,
      );
      break;
    }
  }
  return out;
}
