// Scenarios 1 and 2: one client putting sequentially, and the throughput
// sweep over concurrent clients. Each step starts with a short warm-up that
// is not recorded (connections, JIT, LevelDB/WAL files).
import { cpuBetween, cpuMark } from '../cpu.js';
import { checkLoad, loadRecord, putOp, type LoadRecord, type RunContext } from '../context.js';
import { runLoad } from '../load.js';
import type { BenchTarget } from '../targets.js';

const WARMUP_MS = 500;

export async function warmUp(t: BenchTarget, ctx: RunContext, clients: number): Promise<void> {
  await runLoad({ clients, durationMs: WARMUP_MS, op: putOp(t.kv, ctx.settings) });
}

export async function sequentialPuts(t: BenchTarget, ctx: RunContext): Promise<LoadRecord> {
  const s = ctx.settings;
  ctx.progress.begin(
    `${t.name}: sequential puts (1 client, ${s.keySizeBytes} B keys, ${s.valSizeBytes} B values)`,
  );
  await warmUp(t, ctx, 1);
  const r = await runLoad({
    clients: 1,
    ...(s.total !== undefined ? { total: s.total } : { durationMs: s.durationS * 1000 }),
    op: putOp(t.kv, s),
    onProgress: (done) =>
      ctx.progress.update(`${done}${s.total !== undefined ? `/${s.total}` : ''} puts`),
  });
  checkLoad(ctx, `${t.name} sequential puts`, r);
  const rec = loadRecord(r, 1, 0);
  ctx.progress.note(
    `p50 ${rec.latencyMs.p50} ms, p99 ${rec.latencyMs.p99} ms, ${rec.throughput} puts/s`,
  );
  return rec;
}

export async function throughputSweep(t: BenchTarget, ctx: RunContext): Promise<LoadRecord[]> {
  const s = ctx.settings;
  const out: LoadRecord[] = [];
  for (const clients of s.clients) {
    ctx.progress.begin(
      `${t.name}: throughput, ${clients} clients${s.rate > 0 ? `, open loop at ${s.rate}/s` : ''}`,
    );
    await warmUp(t, ctx, clients);
    const before = cpuMark(t.pids());
    const r = await runLoad({
      clients,
      durationMs: s.durationS * 1000,
      rate: s.rate,
      op: putOp(t.kv, s),
      onProgress: (done) => ctx.progress.update(`${done} puts`),
    });
    const cpu = cpuBetween(before, cpuMark(t.pids()), r.ok);
    checkLoad(ctx, `${t.name} sweep at ${clients} clients`, r);
    const rec = { ...loadRecord(r, clients, s.rate), cpu };
    out.push(rec);
    ctx.progress.note(
      `${rec.throughput} puts/s, p50 ${rec.latencyMs.p50} ms, p99 ${rec.latencyMs.p99} ms, CPU ${cpu.usPerWrite} µs/write${r.errors ? `, ${r.errors} errors` : ''}`,
    );
  }
  return out;
}
