// Scenario 7: memory of a member holding N keys of the value size (256 B by
// default): load the keys with 128-put transactions (etcd's default
// transaction limit, and Flotilla's), let the members settle, then read each
// member's RSS from /proc/<pid>/status. The V8 heap is known only for the
// member inside this process (flotilla-embedded), where RSS and heap are
// this whole process's (the benchmark's own memory included).
import { op } from '@flotilla/client';
import { keyOf } from '../flags.js';
import { sleep, valueOf, type RunContext } from '../context.js';
import { rssBytesOf } from '../setup.js';
import { startTarget } from '../targets.js';
import type { TargetName } from '../flags.js';

export interface MemoryResult {
  readonly keys: number;
  readonly valueBytes: number;
  readonly loadSeconds: number;
  /** Per member: RSS in MiB (null if the process was gone). */
  readonly rssMiB: readonly (number | null)[];
  readonly maxRssMiB: number;
  /** The in-process member's process (flotilla-embedded only). */
  readonly inProcess?: { readonly rssMiB: number; readonly heapUsedMiB: number };
}

const TXN_OPS = 128;
const LOADERS = 8;
const SETTLE_MS = 2_000;
const MIB = 2 ** 20;

export async function memory(
  name: TargetName,
  keys: number,
  ctx: RunContext,
): Promise<MemoryResult> {
  const t = await startTarget({ name, baseDir: ctx.dataDir });
  try {
    ctx.progress.begin(`${name}: memory with ${keys.toLocaleString('en')} keys`);
    const value = valueOf(ctx.settings);
    const keySettings = {
      keySizeBytes: Math.max(ctx.settings.keySizeBytes, String(keys).length + 1),
      keySpaceSize: keys,
    };
    const batches = Math.ceil(keys / TXN_OPS);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: LOADERS }, async () => {
        for (let b = next++; b < batches; b = next++) {
          const ops = [];
          for (let k = b * TXN_OPS; k < Math.min(keys, (b + 1) * TXN_OPS); k++)
            ops.push(op.put(keyOf(k, keySettings, 'm'), value));
          await t.kv.txn({ compare: [], success: ops, failure: [] });
          if (b % 50 === 0)
            ctx.progress.update(`${Math.min(keys, (b + 1) * TXN_OPS).toLocaleString('en')} keys`);
        }
      }),
    );
    const loadSeconds = (performance.now() - t0) / 1000;
    await sleep(SETTLE_MS);
    const count = await t.kv.range({ prefix: 'm', countOnly: true });
    if (count.count !== keys)
      ctx.failures.push(`${name} memory: expected ${keys} keys, found ${count.count}`);
    const rssMiB = t.pids().map((pid) => {
      if (pid === undefined) return null;
      try {
        return Math.round(rssBytesOf(pid) / MIB);
      } catch {
        return null;
      }
    });
    const inProcess =
      name === 'flotilla-embedded'
        ? {
            rssMiB: Math.round(process.memoryUsage().rss / MIB),
            heapUsedMiB: Math.round(process.memoryUsage().heapUsed / MIB),
          }
        : undefined;
    const result = {
      keys,
      valueBytes: ctx.settings.valSizeBytes,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      rssMiB,
      maxRssMiB: Math.max(0, ...rssMiB.map((r) => r ?? 0)),
      ...(inProcess ? { inProcess } : {}),
    };
    ctx.progress.note(
      `${name}: RSS per member ${rssMiB.join(' / ')} MiB${inProcess ? ` (in-process heap ${inProcess.heapUsedMiB} MiB)` : ''}, loaded in ${result.loadSeconds} s`,
    );
    return result;
  } finally {
    await t.close();
  }
}
