// Start-up time of the `flotilla` CLI for one client command (`get`): what a
// user, or a script calling it in a loop, waits for.
//
//   pnpm build && node --conditions=source --import tsx benchmarks/cli/startup.ts \
//     [--bin before=/path/to/old/checkout/packages/server/bin/flotilla.js] [--runs 15]
//
// A one-member cluster runs in this process. Each bin (this checkout's built
// packages/server/bin/flotilla.js as "current", plus any given with --bin
// label=path, e.g. a built copy of an older commit) is spawned `runs` times;
// the bins take turns, so a change in machine load hits them alike. The wall
// time of each process (spawn to exit) is recorded; the medians and their
// ratio to "current" go to benchmarks/results/cli-startup.json.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLocalCluster } from '@flotilla/server';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.resolve(here, '../results/cli-startup.json');
const TIMEOUT_MS = 30_000;
const RUNS_MAX = 200;
const execFileAsync = promisify(execFile);

function flagValues(name: string): string[] {
  const values: string[] = [];
  process.argv.forEach((a, i) => {
    if (a === `--${name}` && process.argv[i + 1] !== undefined) values.push(process.argv[i + 1]!);
  });
  return values;
}

const runs = Number(flagValues('runs')[0] ?? '15');
if (!Number.isInteger(runs) || runs < 1 || runs > RUNS_MAX)
  throw new Error(`--runs must be an integer in 1..${RUNS_MAX}`);
const bins = new Map<string, string>([
  ['current', path.resolve(here, '../../packages/server/bin/flotilla.js')],
]);
for (const spec of flagValues('bin')) {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--bin wants label=path, got ${JSON.stringify(spec)}`);
  bins.set(spec.slice(0, eq), path.resolve(spec.slice(eq + 1)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const loadBefore = os.loadavg();
const cluster = await startLocalCluster({ size: 1 });
try {
  const leader = await cluster.leader(10_000);
  await leader.node.put({
    key: new TextEncoder().encode('bench/startup'),
    value: new TextEncoder().encode('ok'),
  });
  const wallMs = new Map<string, number[]>([...bins.keys()].map((label) => [label, []]));
  for (let i = 0; i < runs; i++) {
    for (const [label, bin] of bins) {
      const started = performance.now();
      // Asynchronous: the member answering the command runs in this process.
      await execFileAsync(process.execPath, [bin, 'get', 'bench/startup'], {
        timeout: TIMEOUT_MS,
        env: { ...process.env, FLOTILLA_ENDPOINTS: leader.url },
      });
      wallMs.get(label)!.push(performance.now() - started);
    }
  }
  const currentMs = median(wallMs.get('current')!);
  const result = {
    at: new Date().toISOString(),
    command: 'FLOTILLA_ENDPOINTS=<one local member> flotilla get bench/startup',
    runs,
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: {
      start: loadBefore.map((l) => Math.round(l * 10) / 10),
      end: os.loadavg().map((l) => Math.round(l * 10) / 10),
    },
    bins: Object.fromEntries(
      [...wallMs].map(([label, ms]) => [
        label,
        {
          medianMs: Math.round(median(ms)),
          minMs: Math.round(Math.min(...ms)),
          maxMs: Math.round(Math.max(...ms)),
          medianOverCurrent: Math.round((median(ms) / currentMs) * 100) / 100,
        },
      ]),
    ),
  };
  fs.writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await cluster.close();
}
