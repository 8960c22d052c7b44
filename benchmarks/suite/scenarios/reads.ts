// Scenario 4: reads of single keys, linearizable, lease-based and
// serializable, with 1 and 256 clients (closed loop), through the cluster
// client. Lease reads are Flotilla's (an embedded node, or the HTTP API's
// `x-flotilla-read-consistency: lease` header, which the remote client sends
// for `consistency: 'lease'`); etcd 3.4 has none (its client would serve the
// read linearizably), so that cell is recorded as not applicable.
import { keyOf } from '../flags.js';
import { checkLoad, loadRecord, valueOf, type LoadRecord, type RunContext } from '../context.js';
import { runLoad } from '../load.js';
import type { BenchTarget } from '../targets.js';

export type ReadKind = 'linearizable' | 'lease' | 'serializable';

export interface ReadRecord {
  readonly kind: ReadKind;
  readonly clients: number;
  /** undefined: this target has no such read. */
  readonly load?: LoadRecord;
  readonly note?: string;
}

/** Keys read (written once before the reads). */
const READ_KEYS = 1_000;
const LOAD_BATCH = 64;

export async function reads(t: BenchTarget, ctx: RunContext): Promise<ReadRecord[]> {
  const s = ctx.settings;
  const keys = Math.min(READ_KEYS, s.keySpaceSize);
  const value = valueOf(s);
  ctx.progress.begin(`${t.name}: reads — writing ${keys} keys`);
  for (let i = 0; i < keys; i += LOAD_BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(LOAD_BATCH, keys - i) }, (_, j) =>
        t.kv.put(keyOf(i + j, s, 'r'), value),
      ),
    );
  }
  const out: ReadRecord[] = [];
  for (const kind of ['linearizable', 'lease', 'serializable'] as const) {
    const read = readFn(t, kind);
    for (const clients of s.readClients) {
      if (read === undefined) {
        out.push({
          kind,
          clients,
          note:
            t.name === 'etcd'
              ? 'etcd has no lease-based read'
              : `${t.name}: the etcd3 client has no lease-read option (it would read linearizably)`,
        });
        continue;
      }
      ctx.progress.begin(`${t.name}: ${kind} reads, ${clients} clients`);
      const r = await runLoad({
        clients,
        durationMs: s.durationS * 1000,
        op: () => read(keyOf(Math.floor(Math.random() * keys), s, 'r')),
        onProgress: (done) => ctx.progress.update(`${done} reads`),
      });
      checkLoad(ctx, `${t.name} ${kind} reads at ${clients} clients`, r);
      const load = loadRecord(r, clients, 0);
      out.push({ kind, clients, load });
      ctx.progress.note(
        `${load.throughput} reads/s, p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms`,
      );
    }
  }
  return out;
}

function readFn(t: BenchTarget, kind: ReadKind): ((key: string) => Promise<unknown>) | undefined {
  // Through etcdKv `lease` is served as linearizable: measuring it would mislabel a linearizable read.
  if (kind === 'lease' && (t.name === 'etcd' || t.name === 'flotilla-grpc')) return undefined;
  return (key) => t.kv.get(key, { consistency: kind });
}
