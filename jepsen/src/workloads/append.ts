// append: transactions of 1–3 micro-operations (read a list / append a unique
// value to a list) over a few keys. A transaction reads its keys in one
// read-only txn, computes its reads and new lists locally, then commits with
// one txn that compares every key's modRevision with what it read: so it
// either applies atomically on exactly the state it read, or fails (and is
// recorded as failed). Keys rotate like the register workload's to keep lists
// short. Checked by append-check.ts (dependency cycles, Elle-style).
import { compare, op, textOf, type KV } from '@flotilla/client';
import { checkAppend, describeMops, type AppendTxn, type MicroOp } from './append-check.js';
import {
  errorText,
  pause,
  type RunContext,
  type TimelineOp,
  type Workload,
  type WorkloadVerdict,
} from './workload.js';

const KEYS_ACTIVE = 4;
const KEY_LIFETIME_MS = 15_000;

function parse(text: string | undefined): string[] {
  return text === undefined || text === '' ? [] : text.split(',');
}

export class AppendWorkload implements Workload {
  readonly name = 'append';
  readonly #txns: AppendTxn[] = [];
  readonly #errors = new Map<number, string>();
  readonly #finals = new Map<string, string[]>();
  #finalError: string | undefined;

  async run(ctx: RunContext): Promise<void> {
    const workers: Promise<void>[] = [];
    for (let node = 0; node < ctx.target.size; node++) {
      const rng = ctx.rng.fork();
      const lane = `${ctx.target.names[node]}/a`;
      workers.push(
        (async () => {
          const kv = ctx.target.client(node, { requestTimeoutMs: ctx.requestTimeoutMs });
          let seq = 0;
          try {
            while (ctx.now() < ctx.endMs) {
              const epoch = Math.floor(ctx.now() / KEY_LIFETIME_MS);
              const plan: { f: 'r' | 'append'; k: string; v?: string }[] = Array.from(
                { length: rng.int(1, 3) },
                () => {
                  const k = `app/${epoch}/${rng.int(0, KEYS_ACTIVE - 1)}`;
                  return rng.next() < 0.5
                    ? { f: 'r' as const, k }
                    : { f: 'append' as const, k, v: `${lane}.${seq++}` };
                },
              );
              await this.#transact(kv, ctx, lane, plan);
              await pause(rng.int(5, 40));
            }
          } finally {
            await kv.close().catch(() => undefined);
          }
        })(),
      );
    }
    await Promise.all(workers);
  }

  async #transact(
    kv: KV,
    ctx: RunContext,
    lane: string,
    plan: readonly { f: 'r' | 'append'; k: string; v?: string }[],
  ): Promise<void> {
    const id = this.#txns.length;
    const invokeMs = ctx.now();
    const keys = [...new Set(plan.map((p) => p.k))];
    const record = (outcome: AppendTxn['outcome'], mops: MicroOp[], error?: string): void => {
      this.#txns[id] = {
        id,
        lane,
        invokeMs,
        completeMs: outcome === 'unknown' ? Infinity : ctx.now(),
        outcome,
        mops,
      };
      if (error !== undefined) this.#errors.set(id, error);
    };
    const blind: MicroOp[] = plan.map((p) =>
      p.f === 'r' ? { f: 'r', k: p.k, v: undefined } : { f: 'append', k: p.k, v: p.v as string },
    );
    this.#txns[id] = { id, lane, invokeMs, completeMs: Infinity, outcome: 'unknown', mops: blind };
    let snapshot: Map<string, { list: string[]; modRevision: number }>;
    try {
      const res = await kv.txn({ compare: [], success: keys.map((k) => op.get(k)), failure: [] });
      snapshot = new Map(
        keys.map((k, i) => {
          const kvs = res.responses[i]?.responseRange?.kvs[0];
          return [k, { list: parse(textOf(kvs)), modRevision: kvs?.modRevision ?? 0 }];
        }),
      );
    } catch (err) {
      return record('fail', blind, errorText(err)); // nothing written yet
    }
    const lists = new Map([...snapshot].map(([k, s]) => [k, [...s.list]]));
    const mops: MicroOp[] = plan.map((p) => {
      const list = lists.get(p.k) as string[];
      if (p.f === 'r') return { f: 'r', k: p.k, v: [...list] };
      list.push(p.v as string);
      return { f: 'append', k: p.k, v: p.v as string };
    });
    const appended = [...new Set(plan.filter((p) => p.f === 'append').map((p) => p.k))];
    if (appended.length === 0) return record('ok', mops);
    try {
      const res = await kv.txn({
        compare: keys.map((k) => compare(k, 'MOD', '=', snapshot.get(k)?.modRevision ?? 0)),
        success: appended.map((k) => op.put(k, (lists.get(k) as string[]).join(','))),
        failure: [],
      });
      record(
        res.succeeded ? 'ok' : 'fail',
        mops,
        res.succeeded ? undefined : 'a key changed since it was read',
      );
    } catch (err) {
      record('unknown', mops, errorText(err));
    }
  }

  async final(ctx: RunContext): Promise<void> {
    const keys = [...new Set(this.#txns.flatMap((t) => t.mops.map((m) => m.k)))];
    const kv = ctx.target.client(0, { requestTimeoutMs: 5_000 });
    try {
      for (const k of keys) this.#finals.set(k, parse(textOf(await kv.get(k))));
    } catch (err) {
      this.#finalError = errorText(err);
    } finally {
      await kv.close().catch(() => undefined);
    }
  }

  check(): WorkloadVerdict {
    if (this.#finalError !== undefined)
      return {
        workload: this.name,
        valid: 'unknown',
        stats: { txns: this.#txns.length },
        anomalies: [`the final read failed: ${this.#finalError}`],
      };
    const result = checkAppend(this.#txns, this.#finals);
    const count = (o: string): number => this.#txns.filter((t) => t.outcome === o).length;
    return {
      workload: this.name,
      valid: result.anomalies.length === 0,
      stats: {
        txns: this.#txns.length,
        ok: count('ok'),
        fail: count('fail'),
        unknown: count('unknown'),
        committed: result.committed,
        edges: result.edges,
        cycles: result.cycles,
        keys: this.#finals.size,
      },
      anomalies: result.anomalies.slice(0, 50),
    };
  }

  timeline(): TimelineOp[] {
    return this.#txns.map((t) => ({
      id: `a${t.id}`,
      lane: t.lane,
      invokeMs: t.invokeMs,
      completeMs: t.completeMs,
      outcome: t.outcome,
      label: `T${t.id} ${describeMops(t.mops)} → ${t.outcome}${this.#errors.has(t.id) ? ` (${(this.#errors.get(t.id) ?? '').slice(0, 80)})` : ''}`,
    }));
  }
}
