// Where the time goes: runs puts against a target with the Flotilla members
// (and this process) under V8's CPU profiler, then prints, per process, how
// busy it was (1 − idle share) and the functions with the most self time.
//
//   node --conditions=source --import tsx benchmarks/suite/profile.ts [--target flotilla|flotilla-embedded] [--clients 256] [--seconds 5]
//
// The members run through profiled-bin.js (the inspector's profiler; --cpu-prof
// is not allowed in NODE_OPTIONS) and are stopped with SIGTERM to write it.
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { putOp, type RunContext } from './context.js';
import { parseFlags } from './flags.js';
import { runLoad } from './load.js';
import { Progress } from './progress.js';
import { startTarget } from './targets.js';
import { summarizeProfile, type CpuProfile } from './profile-summary.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'flotilla' },
      clients: { type: 'string', default: '256' },
      seconds: { type: 'string', default: '5' },
    },
  });
  const name = values.target === 'flotilla-embedded' ? 'flotilla-embedded' : 'flotilla';
  const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-prof-'));
  process.env['FLOTILLA_PROFILE_DIR'] = profDir;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-prof-data-'));
  const settings = parseFlags(['--quick']);
  const ctx: RunContext = { settings, progress: new Progress(), dataDir, failures: [] };
  const t = await startTarget({
    name,
    baseDir: dataDir,
    bin: fileURLToPath(new URL('./profiled-bin.js', import.meta.url)),
  });
  const clients = Number(values.clients);
  ctx.progress.begin(`profiling ${name} at ${clients} clients for ${values.seconds} s`);
  // This process (the clients, and n1 for flotilla-embedded) is profiled too; every node's
  // worker thread writes its own profile when the node stops (FLOTILLA_PROFILE_DIR).
  const session = new inspector.Session();
  session.connect();
  const post = (method: string): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, (err, res) => (err ? reject(err) : resolve(res))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  const r = await runLoad({
    clients,
    durationMs: Number(values.seconds) * 1000,
    op: putOp(t.kv, settings),
  });
  const own = (await post('Profiler.stop')) as { profile: CpuProfile };
  fs.writeFileSync(
    path.join(profDir, `benchmark-process-${process.pid}.cpuprofile`),
    JSON.stringify(own.profile),
  );
  ctx.progress.note(`${Math.round(r.throughput)} puts/s, p50 ${r.histogram.summary().p50} ms`);
  const pids = t.pids();
  await Promise.all(
    pids.map((pid) =>
      pid !== undefined && pid !== process.pid ? process.kill(pid, 'SIGTERM') : undefined,
    ),
  );
  // Each member process writes two: its main thread's and its node worker's.
  const deadline = Date.now() + 10_000;
  while (
    Date.now() < deadline &&
    fs.readdirSync(profDir).length < 1 + 2 * pids.filter((p) => p !== process.pid).length
  )
    await new Promise((res) => setTimeout(res, 100));
  await t.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  for (const f of fs.readdirSync(profDir)) {
    const s = summarizeProfile(
      f,
      JSON.parse(fs.readFileSync(path.join(profDir, f), 'utf8')) as CpuProfile,
    );
    process.stdout.write(
      `\n${f}: busy ${s.busyShare} % of the run\n${s.top.map((x) => `  ${String(x.share).padStart(5)} %  ${x.fn}`).join('\n')}\n`,
    );
  }
  process.stdout.write(`\nprofiles in ${profDir} (open in Chrome DevTools → Performance)\n`);
}

await main();
process.exit();
