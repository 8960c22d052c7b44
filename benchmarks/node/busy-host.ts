// The "busy host" scenario of issue #15: three processes, each a service that
// embeds one Flotilla member (openNode: LevelDB, TCP on loopback), each
// writing about 50 puts/s through its own member and blocking its own event
// loop for B ms about once a second (phases offset per process). Per B, on a
// fresh cluster: leader changes, failed writes (by error name), write latency
// from issue to resolve in the writing process, writes committed; target: 0
// leader changes, 0 failed writes, p99 ≤ B + 20 ms.
//
//   node --conditions=source --import tsx benchmarks/node/busy-host.ts [--quick] [--block-ms 0,200] [--thread worker|inline] [--block spin|sleep]
//
// Writes benchmarks/results/busy-host-<mode>[-<thread>][-sleep]-<date>.json (and
// -latest.json) and the table as -table.md; prints the table. Exit status 0, 1
// when a phase failed to run or committed nothing, 2 on bad flags. Timings
// never fail a run.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from '../suite/setup.js';
import { CLUSTER_ID, killAllMembers, runClusterPhase } from './busy-host-cluster.js';
import { FlagError, parseBusyHostFlags, USAGE, type BusyHostSettings } from './busy-host-flags.js';
import { BLOCK_JITTER_MS, BLOCK_PERIOD_MS, FREE_MS_MIN } from './busy-host-load.js';
import {
  renderTable,
  summarizePhase,
  TARGET_SLACK_MS,
  type PhaseRow,
} from './busy-host-summary.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoDir = path.resolve(here, '../..');
/** Writes still unanswered this long after a window are counted as failed ("unsettled"). */
const DRAIN_MS = 15_000;

function settingsOrExit(): BusyHostSettings {
  try {
    return parseBusyHostFlags(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    console.error(`busy-host: ${err.message}`);
    process.exit(2);
  }
}

async function runPhases(
  s: BusyHostSettings,
  dataDir: string,
): Promise<{ rows: PhaseRow[]; failures: string[] }> {
  const rows: PhaseRow[] = [];
  const failures: string[] = [];
  for (const blockMs of s.blockMs) {
    console.log(`B = ${blockMs} ms: ${s.durationS} s on a fresh 3-member cluster…`);
    try {
      const reports = await runClusterPhase({
        blockMs,
        blockKind: s.blockKind,
        rateHz: s.rateHz,
        warmupMs: s.warmupS * 1000,
        durationMs: s.durationS * 1000,
        drainMs: DRAIN_MS,
        thread: s.thread,
        dataDir,
      });
      const row = summarizePhase(blockMs, reports);
      rows.push(row);
      if (row.writes === 0) failures.push(`B = ${blockMs} ms: no write committed`);
      console.log(renderTable([row]).split('\n')[2]);
    } catch (err) {
      failures.push(`B = ${blockMs} ms: ${err instanceof Error ? err.message : String(err)}`);
      console.error(`B = ${blockMs} ms failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }
  return { rows, failures };
}

async function main(): Promise<number> {
  const s = settingsOrExit();
  if (s.help) {
    console.log(USAGE);
    return 0;
  }
  const resultsDir = s.resultsDir ?? path.join(repoDir, 'benchmarks/results');
  const dataDir = path.join(repoDir, 'benchmarks/results/tmp', `busy-host-${process.pid}`);
  await mkdir(dataDir, { recursive: true });
  const started = performance.now();
  try {
    const setup = describeMachine(dataDir, repoDir);
    const { rows, failures } = await runPhases(s, dataDir);
    const table = renderTable(rows);
    const result = {
      benchmark: 'node/busy-host',
      formatVersion: 1,
      mode: s.mode,
      thread: s.thread ?? 'not passed (the node default)',
      setup,
      settings: {
        members: 3,
        clusterId: CLUSTER_ID,
        blockMs: s.blockMs,
        blockKind: s.blockKind,
        durationS: s.durationS,
        warmupS: s.warmupS,
        putsPerSecondPerMember: s.rateHz,
        valueBytes: 256,
        blockPeriodMs: BLOCK_PERIOD_MS,
        blockJitterMs: BLOCK_JITTER_MS,
        freeMsMinBetweenBlocks: FREE_MS_MIN,
        drainMs: DRAIN_MS,
        target: `0 leader changes, 0 failed writes, write p99 ≤ B + ${TARGET_SLACK_MS} ms`,
      },
      rows,
      allTargetsMet: rows.length === s.blockMs.length && rows.every((r) => r.targetMet),
      failures,
      durationS: Math.round((performance.now() - started) / 1000),
      loadAverageEnd1m: Math.round(os.loadavg()[0]! * 100) / 100,
    };
    const base = [
      `busy-host-${s.mode}`,
      ...(s.thread === undefined ? [] : [s.thread]),
      ...(s.blockKind === 'spin' ? [] : [s.blockKind]),
    ].join('-');
    const stamp = result.setup.date.replace(/[:.]/g, '-');
    const json = `${JSON.stringify(result, null, 2)}\n`;
    await mkdir(resultsDir, { recursive: true });
    await writeFile(path.join(resultsDir, `${base}-${stamp}.json`), json);
    await writeFile(path.join(resultsDir, `${base}-latest.json`), json);
    await writeFile(path.join(resultsDir, `${base}-table.md`), table);
    console.log(`\n${table}`);
    console.log(`wrote ${path.join(resultsDir, `${base}-latest.json`)} and ${base}-table.md`);
    for (const f of failures) console.error(`FAILED: ${f}`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    killAllMembers();
    await rm(dataDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
