// set: clients add unique elements to a few shared sets, each add a
// read-then-compare-and-set on the set key's modRevision (retried a bounded
// number of times on conflict). After healing, every node reads every set:
// an element whose add was acknowledged must be there (nothing lost), no
// element may appear that was never added, none twice, and all nodes agree.
import { compare, op, textOf, type KV } from '@flotilla/client';
import {
  errorText,
  pause,
  type RunContext,
  type TimelineOp,
  type Workload,
  type WorkloadVerdict,
} from './workload.js';

interface Add {
  readonly element: string;
  readonly key: string;
  readonly lane: string;
  readonly invokeMs: number;
  completeMs: number;
  outcome: 'ok' | 'fail' | 'unknown';
  error?: string;
}

const CAS_TRIES_MAX = 4;

export class SetWorkload implements Workload {
  readonly name = 'set';
  readonly #keys: number;
  readonly #adds: Add[] = [];
  /** node → key → elements as that node's final read saw them (undefined: read failed). */
  readonly #finals = new Map<number, Map<string, string[] | undefined>>();

  constructor(keys = 2) {
    this.#keys = keys;
  }

  async run(ctx: RunContext): Promise<void> {
    const workers: Promise<void>[] = [];
    for (let node = 0; node < ctx.target.size; node++) {
      const rng = ctx.rng.fork();
      const lane = `${ctx.target.names[node]}/s`;
      workers.push(
        (async () => {
          const kv = ctx.target.client(node, { requestTimeoutMs: ctx.requestTimeoutMs });
          let seq = 0;
          try {
            while (ctx.now() < ctx.endMs) {
              const add: Add = {
                element: `${lane}:${seq++}`,
                key: `set/${rng.int(0, this.#keys - 1)}`,
                lane,
                invokeMs: ctx.now(),
                completeMs: Infinity,
                outcome: 'unknown',
              };
              this.#adds.push(add);
              await this.#add(kv, ctx, add);
              await pause(rng.int(10, 50));
            }
          } finally {
            await kv.close().catch(() => undefined);
          }
        })(),
      );
    }
    await Promise.all(workers);
  }

  async #add(kv: KV, ctx: RunContext, add: Add): Promise<void> {
    for (let attempt = 0; attempt < CAS_TRIES_MAX; attempt++) {
      let current: { elements: string[]; modRevision: number };
      try {
        const seen = await kv.get(add.key);
        current = { elements: parse(textOf(seen)), modRevision: seen?.modRevision ?? 0 };
      } catch (err) {
        return this.#close(add, ctx, 'fail', errorText(err)); // nothing was written yet
      }
      try {
        const res = await kv.txn({
          compare: [compare(add.key, 'MOD', '=', current.modRevision)],
          success: [op.put(add.key, [...current.elements, add.element].join(','))],
          failure: [],
        });
        if (res.succeeded) return this.#close(add, ctx, 'ok');
      } catch (err) {
        return this.#close(add, ctx, 'unknown', errorText(err));
      }
    }
    this.#close(add, ctx, 'fail', `compare failed ${CAS_TRIES_MAX} times (contention)`);
  }

  #close(add: Add, ctx: RunContext, outcome: Add['outcome'], error?: string): void {
    add.outcome = outcome;
    if (outcome !== 'unknown') add.completeMs = ctx.now();
    if (error !== undefined) add.error = error;
  }

  async final(ctx: RunContext): Promise<void> {
    for (let node = 0; node < ctx.target.size; node++) {
      const kv = ctx.target.client(node, { requestTimeoutMs: 5_000 });
      const seen = new Map<string, string[] | undefined>();
      try {
        for (let k = 0; k < this.#keys; k++) {
          const key = `set/${k}`;
          const elements = await kv.get(key).then(
            (v) => parse(textOf(v)),
            () => undefined,
          );
          seen.set(key, elements);
          // A node that cannot answer one read will not answer the next (each waits out its timeout).
          if (elements === undefined) break;
        }
      } finally {
        await kv.close().catch(() => undefined);
      }
      this.#finals.set(node, seen);
    }
  }

  check(): WorkloadVerdict {
    const anomalies: string[] = [];
    const reference = [...this.#finals.values()].find((m) =>
      [...m.values()].every((v) => v !== undefined),
    );
    if (!reference) anomalies.push('no node answered the final read of every set');
    const finalSets = new Map<string, Set<string>>();
    for (const [key, elements] of reference ?? new Map<string, string[]>()) {
      const list = elements ?? [];
      const set = new Set(list);
      if (set.size !== list.length)
        anomalies.push(`${key}: an element appears twice in the final read`);
      finalSets.set(key, set);
    }
    for (const [node, seen] of this.#finals) {
      for (const [key, elements] of seen) {
        if (
          elements !== undefined &&
          reference &&
          elements.join(',') !== (reference.get(key) ?? []).join(',')
        ) {
          anomalies.push(`node ${node + 1} read ${key} differently from the others after healing`);
        }
      }
    }
    const attempted = new Map(this.#adds.map((a) => [a.element, a]));
    let lost = 0;
    let recovered = 0;
    for (const a of this.#adds) {
      const present = finalSets.get(a.key)?.has(a.element) ?? false;
      if (a.outcome === 'ok' && !present && reference) {
        lost++;
        if (lost <= 20)
          anomalies.push(
            `lost: ${a.element} was acknowledged at ${a.completeMs.toFixed(0)} ms but is not in ${a.key}`,
          );
      }
      if (a.outcome === 'fail' && present)
        anomalies.push(`${a.element} failed definitely but is in ${a.key}`);
      if (a.outcome === 'unknown' && present) recovered++;
    }
    for (const [key, set] of finalSets) {
      for (const e of set) {
        const a = attempted.get(e);
        if (!a || a.key !== key) anomalies.push(`${key} holds ${e}, which was never added to it`);
      }
    }
    const count = (o: string): number => this.#adds.filter((a) => a.outcome === o).length;
    return {
      workload: this.name,
      valid: anomalies.length === 0,
      stats: {
        adds: this.#adds.length,
        ok: count('ok'),
        fail: count('fail'),
        unknown: count('unknown'),
        lost,
        unknownPresent: recovered,
        finalSize: [...finalSets.values()].reduce((n, s) => n + s.size, 0),
      },
      anomalies,
    };
  }

  timeline(): TimelineOp[] {
    return this.#adds.map((a, i) => ({
      id: `s${i}`,
      lane: a.lane,
      invokeMs: a.invokeMs,
      completeMs: a.completeMs,
      outcome: a.outcome,
      label: `add ${a.element} to ${a.key} → ${a.outcome}${a.error ? ` (${a.error.slice(0, 80)})` : ''}`,
    }));
  }
}

function parse(text: string | undefined): string[] {
  return text === undefined || text === '' ? [] : text.split(',');
}
