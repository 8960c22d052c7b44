// `pnpm bench`: the replication benchmark suite (issue 8). Build first
// (`pnpm build`): the Flotilla members run packages/server's built bin.
//
//   node --conditions=source --import tsx benchmarks/suite/main.ts [--quick|--smoke] [--target …] [--help]
//
// Per target: one cluster for sequential puts, the sweep, state latency and
// reads; fresh clusters for failover (default and tuned elections) and for
// each memory size; ablations on flotilla-embedded. Writes
// benchmarks/results/suite-<date>.json, suite-latest.json, suite-report.html
// and suite-table.md. Exits 1 on a functional failure, 2 on bad flags.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FlagError,
  parseFlags,
  resultStem,
  USAGE,
  type Settings,
  type TargetName,
} from './flags.js';
import { evaluateGoals } from './goals.js';
import { markdownTables } from './markdown.js';
import { Progress } from './progress.js';
import { renderReport } from './report-html.js';
import type { SuiteResult, TargetResults } from './results.js';
import { ablations } from './scenarios/ablations.js';
import { clientFailover } from './scenarios/client-failover.js';
import { failover } from './scenarios/failover.js';
import { memory } from './scenarios/memory.js';
import { sequentialPuts, throughputSweep } from './scenarios/puts.js';
import { reads } from './scenarios/reads.js';
import { stateLatency } from './scenarios/state.js';
import { describeMachine } from './setup.js';
import { startTarget } from './targets.js';
import type { RunContext } from './context.js';
import { runLoad } from './load.js';
import { putOp } from './context.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoDir = path.resolve(here, '../..');
const BIN = path.join(repoDir, 'packages/server/dist/cli/main.js');

async function attempt(
  ctx: RunContext,
  res: TargetResults,
  what: string,
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const text = `${what}: ${(err as Error).name}: ${(err as Error).message}`;
    res.errors.push(text);
    ctx.failures.push(text);
    ctx.progress.note(`FAILED ${text}`);
  }
}

async function runTarget(name: TargetName, ctx: RunContext): Promise<TargetResults> {
  const s = ctx.settings;
  const res: TargetResults = { name, errors: [] };
  const on = (x: Settings['scenarios'][number]): boolean => s.scenarios.includes(x);
  if (on('sequential') || on('sweep') || on('state') || on('reads')) {
    await attempt(ctx, res, `${name} cluster`, async () => {
      ctx.progress.begin(`${name}: starting 3 members`);
      const t = await startTarget({ name, baseDir: ctx.dataDir });
      try {
        if (on('sequential'))
          await attempt(ctx, res, `${name} sequential`, async () => {
            res.sequential = await sequentialPuts(t, ctx);
          });
        if (on('sweep'))
          await attempt(ctx, res, `${name} sweep`, async () => {
            res.sweep = await throughputSweep(t, ctx);
          });
        if (on('state')) {
          await attempt(ctx, res, `${name} state latency`, async () => {
            let saturation = Math.max(0, ...(res.sweep ?? []).map((r) => r.throughput));
            if (saturation === 0) {
              ctx.progress.begin(`${name}: measuring saturation (64 clients)`);
              saturation = (
                await runLoad({ clients: 64, durationMs: s.durationS * 1000, op: putOp(t.kv, s) })
              ).throughput;
            }
            res.state = await stateLatency(t, ctx, saturation);
          });
        }
        if (on('reads'))
          await attempt(ctx, res, `${name} reads`, async () => {
            res.reads = await reads(t, ctx);
          });
      } finally {
        await t.close();
      }
    });
  }
  if (on('failover')) {
    res.failover = [];
    const settings = s.mode === 'smoke' ? (['default'] as const) : (['default', 'tuned'] as const);
    for (const setting of settings)
      await attempt(ctx, res, `${name} failover ${setting}`, async () => {
        res.failover!.push(await failover(name, setting, ctx));
      });
  }
  // The in-process member of flotilla-embedded cannot be killed and its client is not spread over members: remote targets only.
  if (on('client-failover') && name !== 'flotilla-embedded') {
    await attempt(ctx, res, `${name} client-seen failover`, async () => {
      res.clientFailover = await clientFailover(name, ctx);
    });
  }
  if (on('memory')) {
    res.memory = [];
    for (const keys of s.memoryKeys)
      await attempt(ctx, res, `${name} memory ${keys}`, async () => {
        res.memory!.push(await memory(name, keys, ctx));
      });
  }
  return res;
}

async function main(): Promise<number> {
  let settings: Settings;
  try {
    settings = parseFlags(process.argv.slice(2));
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (settings.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (settings.targets.some((t) => t !== 'etcd') && !fs.existsSync(BIN)) {
    process.stderr.write(
      `The Flotilla targets run the built server (${BIN} is missing): run \`pnpm build\` first.\n`,
    );
    return 2;
  }
  const outDir = path.resolve(settings.outDir ?? path.join(repoDir, 'benchmarks/results'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-suite-'));
  const progress = new Progress();
  const ctx: RunContext = { settings, progress, dataDir, failures: [] };
  const started = performance.now();
  progress.begin(`measuring fsync latency in ${dataDir}`);
  const setup = describeMachine(dataDir, repoDir);
  progress.note(
    `fsync p50 ${setup.fsync.p50} ms, p99 ${setup.fsync.p99} ms; load average ${setup.loadAverage1m}; ${setup.cpu} × ${setup.cpus}`,
  );
  const targets: TargetResults[] = [];
  let abl: SuiteResult['ablations'];
  const stop = (): void => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', stop);
  try {
    for (const name of settings.targets) targets.push(await runTarget(name, ctx));
    if (
      settings.scenarios.includes('ablations') &&
      settings.targets.includes('flotilla-embedded')
    ) {
      try {
        abl = await ablations(ctx);
      } catch (err) {
        ctx.failures.push(`ablations: ${(err as Error).name}: ${(err as Error).message}`);
      }
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const result: SuiteResult = {
    suite: 'flotilla-replication-bench',
    formatVersion: 1,
    mode: settings.mode,
    setup,
    settings,
    targets,
    ...(abl ? { ablations: abl } : {}),
    goals: evaluateGoals(targets, setup),
    failures: ctx.failures,
    durationS: Math.round((performance.now() - started) / 1000),
    loadAverageEnd1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = setup.date.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const stem = resultStem(settings);
  fs.writeFileSync(path.join(outDir, `${stem}-${stamp}.json`), json);
  fs.writeFileSync(path.join(outDir, `${stem}-latest.json`), json);
  fs.writeFileSync(path.join(outDir, `${stem}-report.html`), renderReport(result));
  fs.writeFileSync(path.join(outDir, `${stem}-table.md`), markdownTables(result));
  process.stdout.write(
    `\n${markdownTables(result)}\nWrote ${outDir}/${stem}-{latest.json,report.html,table.md} in ${result.durationS} s\n`,
  );
  if (ctx.failures.length > 0) {
    process.stderr.write(
      `\n${ctx.failures.length} functional failure(s):\n${ctx.failures.map((f) => `  - ${f}`).join('\n')}\n`,
    );
    return 1;
  }
  return 0;
}

process.exitCode = await main();
// Clients and sockets may keep the loop alive after the clusters are gone.
process.exit();
