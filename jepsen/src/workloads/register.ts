// register: reads, writes and compare-and-sets on many independent keys,
// each checked for linearizability (with revisions) by testkit's checker.
// `register-lease` is the same workload with lease reads (the leader answers
// from its leader lease without a confirmation round), on keys of its own.
// Keys rotate every `keyLifetimeMs` so that operations of unknown outcome,
// which stay open to the end of a key's history, do not pile up on one key.
import { compare, op, textOf, type KV } from '@flotilla/client';
import {
  checkLinearizable,
  formatCheckResult,
  HistoryRecorder,
  registerModel,
  shrinkViolation,
  type CheckResult,
  type RegisterOp,
} from '@flotilla/testkit';
import {
  errorText,
  pause,
  type FailingOpRow,
  type RunContext,
  type TimelineOp,
  type Workload,
  type WorkloadVerdict,
} from './workload.js';

export interface RegisterOptions {
  /** The workload's name in reports and `--workload`. */
  readonly name: string;
  /** How reads are asked for (the unsafe control overrides it with serializable). */
  readonly readConsistency: 'linearizable' | 'lease';
  /** First segment of the keys, so two register workloads in one run never share a key. */
  readonly keyPrefix: string;
  readonly keysActive: number;
  readonly keyLifetimeMs: number;
  readonly stepsMaxPerPartition: number;
}

const DEFAULTS: RegisterOptions = {
  name: 'register',
  readConsistency: 'linearizable',
  keyPrefix: 'reg',
  keysActive: 8,
  keyLifetimeMs: 5_000,
  stepsMaxPerPartition: 5_000_000,
};

export class RegisterWorkload implements Workload {
  readonly name: string;
  readonly #options: RegisterOptions;
  #recorder: HistoryRecorder | undefined;
  readonly #lane = new Map<number, string>();
  #result: CheckResult | undefined;
  #history: RegisterOp[] = [];

  /** Every read of this workload is a lease read (over gRPC the client marks its ranges as such). */
  get #leaseReads(): boolean {
    return this.#options.readConsistency === 'lease';
  }

  constructor(options: Partial<RegisterOptions> = {}) {
    this.#options = { ...DEFAULTS, ...options };
    this.name = this.#options.name;
  }

  async run(ctx: RunContext): Promise<void> {
    const recorder = new HistoryRecorder({ now: () => ctx.now() });
    this.#recorder = recorder;
    let nextProcess = 0;
    const workers: Promise<void>[] = [];
    for (let node = 0; node < ctx.target.size; node++) {
      for (let w = 0; w < ctx.clientsPerNode; w++) {
        const rng = ctx.rng.fork();
        const lane = `${ctx.target.names[node]}/r${w}`;
        workers.push(
          (async () => {
            const kv = ctx.target.client(node, {
              requestTimeoutMs: ctx.requestTimeoutMs,
              leaseReads: this.#leaseReads,
            });
            let process = nextProcess++;
            this.#lane.set(process, lane);
            let seq = 0;
            const lastSeen = new Map<string, string | null>();
            try {
              while (ctx.now() < ctx.endMs) {
                const epoch = Math.floor(ctx.now() / this.#options.keyLifetimeMs);
                const key = `${this.#options.keyPrefix}/${epoch}/${rng.int(0, this.#options.keysActive - 1)}`;
                const kind = rng.pick(['read', 'read', 'write', 'cas'] as const);
                const value = `${lane}:${seq++}`;
                const known = await this.#one(
                  kv,
                  recorder,
                  process,
                  ctx,
                  kind,
                  key,
                  value,
                  lastSeen,
                );
                if (!known) {
                  process = nextProcess++;
                  this.#lane.set(process, lane);
                }
                await pause(rng.int(5, 40));
              }
            } finally {
              await kv.close().catch(() => undefined);
            }
          })(),
        );
      }
    }
    await Promise.all(workers);
  }

  /** One operation; false when its outcome is unknown (the process retires). */
  async #one(
    kv: KV,
    rec: HistoryRecorder,
    process: number,
    ctx: RunContext,
    kind: 'read' | 'write' | 'cas',
    key: string,
    value: string,
    lastSeen: Map<string, string | null>,
  ): Promise<boolean> {
    if (kind === 'read') {
      const id = rec.invoke(process, { op: 'read', key });
      try {
        const kvs = (
          await kv.range({
            key,
            consistency: ctx.unsafeReads ? 'serializable' : this.#options.readConsistency,
          })
        ).kvs;
        const seen = kvs[0];
        const text = seen ? (textOf(seen) ?? null) : null;
        lastSeen.set(key, text);
        rec.ok(id, { value: text, modRevision: seen?.modRevision ?? 0 });
      } catch (err) {
        rec.fail(id, errorText(err)); // a read that failed changed nothing
      }
      return true;
    }
    if (kind === 'write') {
      const id = rec.invoke(process, { op: 'write', key, value });
      try {
        const res = await kv.put(key, value);
        rec.ok(id, { revision: res.header.revision });
        return true;
      } catch (err) {
        rec.unknown(id, errorText(err));
        return false;
      }
    }
    const expected = lastSeen.get(key) ?? null;
    const id = rec.invoke(process, { op: 'cas', key, value, expected: { value: expected } });
    try {
      const res = await kv.txn({
        compare: [
          expected === null ? compare(key, 'CREATE', '=', 0) : compare(key, 'VALUE', '=', expected),
        ],
        success: [op.put(key, value)],
        // A failed compare reads the key in the same transaction: the cas becomes a read, which the checker can use.
        failure: [op.get(key)],
      });
      if (res.succeeded) {
        rec.ok(id, { succeeded: true, revision: res.header.revision });
        lastSeen.set(key, value);
      } else {
        const seen = res.responses[0]?.responseRange?.kvs[0];
        const text = seen ? (textOf(seen) ?? null) : null;
        rec.ok(id, { succeeded: false, value: text, modRevision: seen?.modRevision ?? 0 });
        lastSeen.set(key, text);
      }
      return true;
    } catch (err) {
      rec.unknown(id, errorText(err));
      return false;
    }
  }

  async final(ctx: RunContext): Promise<void> {
    // A last linearizable read of every key from every node: a value lost or
    // rolled back by recovery shows up as a read the history cannot explain.
    const rec = this.#recorder;
    if (!rec) return;
    const keys = [...new Set(rec.history().map((o) => o.key))];
    let process = 1_000_000;
    for (let node = 0; node < ctx.target.size; node++) {
      const kv = ctx.target.client(node, { requestTimeoutMs: 5_000, leaseReads: this.#leaseReads });
      const p = process++;
      this.#lane.set(p, `${ctx.target.names[node]}/final`);
      try {
        for (const key of keys) {
          const known = await this.#one(
            kv,
            rec,
            p,
            { ...ctx, unsafeReads: false },
            'read',
            key,
            '',
            new Map(),
          );
          if (!known) break;
        }
      } finally {
        await kv.close().catch(() => undefined);
      }
    }
  }

  check(): WorkloadVerdict {
    this.#history = this.#recorder?.history() ?? [];
    const prepared = prepareForCheck(this.#history);
    const result = checkLinearizable(registerModel, prepared.ops, {
      stepsMaxPerPartition: this.#options.stepsMaxPerPartition,
    });
    this.#result = result;
    const count = (o: string): number => this.#history.filter((h) => h.outcome === o).length;
    const byId = new Map(prepared.ops.map((o) => [o.id, o]));
    const original = new Map(this.#history.map((o) => [o.id, o]));
    const first = result.violations[0];
    const shrunk = first
      ? shrinkRegisterViolation(
          first.prefixOpIds.map((id) => byId.get(id) as RegisterOp),
          first.culpritOpId,
        )
      : undefined;
    const failingOps: FailingOpRow[] | undefined = shrunk?.map((checked) => {
      const id = checked.id;
      const o = original.get(id) ?? checked;
      return {
        id: String(id),
        lane: this.#lane.get(o.process) ?? String(o.process),
        invokeMs: o.invokeTime,
        completeMs: o.completeTime,
        outcome: o.outcome,
        op: describeInput(o),
        saw: describeResult(o),
        culprit: id === first?.culpritOpId,
      };
    });
    return {
      workload: this.name,
      valid: result.verdict === 'ok' ? true : result.verdict === 'violation' ? false : 'unknown',
      stats: {
        operations: this.#history.length,
        ok: count('ok'),
        fail: count('fail'),
        unknown: count('unknown'),
        keys: result.partitions,
        checkerSteps: result.steps,
        failedCasAsReads: prepared.casAsReads,
        unobservedUnknownWritesDropped: prepared.dropped,
        ...(first
          ? { failingPrefixOps: first.prefixOpIds.length, shrunkOps: shrunk?.length ?? 0 }
          : {}),
      },
      anomalies:
        result.verdict === 'ok' ? [] : [formatCheckResult(registerModel, prepared.ops, result)],
      ...(failingOps ? { failingOps } : {}),
    };
  }

  timeline(): TimelineOp[] {
    const history = this.#history.length > 0 ? this.#history : (this.#recorder?.history() ?? []);
    return history.map((o) => ({
      id: String(o.id),
      lane: this.#lane.get(o.process) ?? String(o.process),
      invokeMs: o.invokeTime,
      completeMs: o.completeTime,
      outcome: o.outcome,
      label: `#${o.id} ${describeInput(o)} → ${describeResult(o)}`,
    }));
  }
}

/**
 * Two exact simplifications before the search. (1) A compare-and-set whose
 * compare failed read the key in the same transaction, so it is a read of
 * that value and revision. (2) A write or cas of unknown outcome whose value
 * no successful operation ever observed is dropped: if the history without it
 * is linearizable, so is the history with it (an unknown operation may take
 * effect "never", at the end), so dropping it can hide no violation; and
 * nothing checked its value, so keeping it only multiplies the search (a
 * partition with a dozen such writes open at once exhausts any budget). The
 * one constraint dropping adds is that the writes around it still carry
 * increasing revisions, which the store guarantees.
 */
export function prepareForCheck(history: readonly RegisterOp[]): {
  ops: RegisterOp[];
  casAsReads: number;
  dropped: number;
} {
  let casAsReads = 0;
  const ops = history.map((o): RegisterOp => {
    if (
      o.op !== 'cas' ||
      o.outcome !== 'ok' ||
      o.result?.succeeded !== false ||
      o.result.value === undefined
    )
      return o;
    casAsReads++;
    return {
      id: o.id,
      process: o.process,
      op: 'read',
      key: o.key,
      invokeTime: o.invokeTime,
      completeTime: o.completeTime,
      outcome: 'ok',
      result: {
        value: o.result.value,
        ...(o.result.modRevision !== undefined ? { modRevision: o.result.modRevision } : {}),
      },
    };
  });
  const observed = new Set<string>();
  for (const o of ops) {
    if (o.outcome !== 'ok') continue;
    if (o.op === 'read' && o.result?.value !== undefined && o.result.value !== null)
      observed.add(`${o.key}\u0000${o.result.value}`);
    if (
      o.op === 'cas' &&
      o.result?.succeeded === true &&
      o.expected &&
      'value' in o.expected &&
      o.expected.value !== null
    )
      observed.add(`${o.key}\u0000${o.expected.value}`);
  }
  const kept = ops.filter(
    (o) =>
      o.outcome !== 'unknown' ||
      o.op === 'read' ||
      observed.has(`${o.key}\u0000${String(o.value)}`),
  );
  return { ops: kept, casAsReads, dropped: ops.length - kept.length };
}

/**
 * The failing prefix shrunk to the few operations that show the anomaly: the
 * culprit stays, and so does every write whose value a remaining operation
 * observed (a read that saw it, or a compare-and-set that succeeded on it).
 */
export function shrinkRegisterViolation(
  prefix: readonly RegisterOp[],
  culpritId: number | undefined,
): RegisterOp[] {
  const observed = (v: string | null | undefined, remaining: readonly RegisterOp[]): boolean =>
    remaining.some(
      (r) =>
        r.outcome === 'ok' &&
        ((r.op === 'read' && r.result?.value === v) ||
          (r.op === 'cas' &&
            r.result?.succeeded === true &&
            r.expected !== undefined &&
            'value' in r.expected &&
            r.expected.value === v)),
    );
  const result = shrinkViolation(registerModel, prefix, {
    keep: (o) => o.id === culpritId,
    removable: (o, remaining) => o.op === 'read' || !observed(o.value, remaining),
  });
  return [...result.ops];
}

function describeInput(o: RegisterOp): string {
  if (o.op === 'read') return `read ${o.key}`;
  if (o.op === 'write') return `write ${o.key} := ${o.value}`;
  const e = o.expected;
  const exp =
    e === undefined ? '?' : 'value' in e ? JSON.stringify(e.value) : `mod ${e.modRevision}`;
  return `cas ${o.key} ${exp} → ${o.value}`;
}

function describeResult(o: RegisterOp): string {
  if (o.outcome !== 'ok') return `${o.outcome}${o.error ? ` (${o.error.slice(0, 80)})` : ''}`;
  const r = o.result ?? {};
  if (o.op === 'read')
    return `saw ${JSON.stringify(r.value ?? null)} at mod revision ${r.modRevision ?? '?'}`;
  if (o.op === 'write') return `ok at revision ${r.revision ?? '?'}`;
  return r.succeeded ? `succeeded at revision ${r.revision ?? '?'}` : 'compare failed';
}
