// The simulation property: for generated fault schedules (partitions of all
// shapes, crash/restart with lost, torn or interrupted writes, crashes of
// followers with client requests outstanding, frames queued for a node
// delivered to its next incarnation, pauses, slow disks, membership churn,
// leadership transfer, message noise, small snapshot intervals, small
// exactly-once tables) the client history of a real 3- or 5-node cluster with
// drifting clocks is linearizable (lease reads and exactly-once retries
// included), no two lock contenders hold the lease lock at once, there is
// never more than one leader per term, and the cluster recovers after healing.
//
// Replay a failure: FLOTILLA_CLUSTER_SEED=<seed> FLOTILLA_CLUSTER_PATH=<path> npx vitest run packages/testkit/test/cluster-properties.test.ts
// More or fewer schedules: FLOTILLA_CLUSTER_RUNS=<n>.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SIMULATION,
  describeFault,
  flotillaStarter,
  formatCheckResult,
  formatMutexViolations,
  isUnsafe,
  registerModel,
  runSimulation,
  faultScheduleArb,
  type FaultSchedule,
  type SimulationResult,
} from '../src/cluster.js';

const env = process.env;
const numRuns = Number(env['FLOTILLA_CLUSTER_RUNS'] ?? 300);
// One fixed seed by default, so a CI run is reproducible and a red run names a regression, not luck;
// FLOTILLA_CLUSTER_SEED=random explores new schedules (do it when you change the node or the simulator).
// Seeds random runs found failing are listed in docs/testing.md with what fixed them.
const CI_SEED = 20261207;
const seedSetting = env['FLOTILLA_CLUSTER_SEED'];
const seed =
  seedSetting === undefined
    ? CI_SEED
    : seedSetting === 'random'
      ? Date.now() ^ 0x5eed
      : Number(seedSetting);
const path = env['FLOTILLA_CLUSTER_PATH'];
const TEST_FILE = 'packages/testkit/test/cluster-properties.test.ts';

function problems(r: SimulationResult): string[] {
  const out: string[] = [];
  if (isUnsafe(r))
    out.push(
      formatCheckResult(registerModel, r.history, r.check),
      ...r.invariantViolations,
      formatMutexViolations(r.locks.violations),
    );
  if (r.check.verdict === 'unknown') out.push(formatCheckResult(registerModel, r.history, r.check));
  out.push(...r.liveness);
  return out;
}

function describeSchedule(s: FaultSchedule): string {
  const faults = s.faults.map((f) => `  +${f.atMs} ms ${describeFault(f.fault)}`).join('\n');
  const table =
    s.kvLimits === undefined ? '' : `, exactly-once table ${JSON.stringify(s.kvLimits)}`;
  return `seed ${s.seed}, ${s.nodes} nodes, snapshot every ${s.snapshotEntries} entries, ${s.durationMs} ms${table}\n${faults}`;
}

describe('whole-cluster simulation under generated faults', () => {
  it(`keeps ${numRuns} generated fault schedules linearizable, with one leader per term, and recovers after healing`, async () => {
    const totals = {
      runs: 0,
      ops: 0,
      ok: 0,
      unknown: 0,
      faults: 0,
      virtualMs: 0,
      lockHolds: 0,
      replayedFrames: 0,
      smallTables: 0,
    };
    const started = performance.now();
    const details = await fc.check(
      fc.asyncProperty(faultScheduleArb({ durationMs: 3_000, faultsMax: 10 }), async (schedule) => {
        const r = await runSimulation(schedule, flotillaStarter(), DEFAULT_SIMULATION);
        totals.runs++;
        totals.ops += r.stats.operations;
        totals.ok += r.stats.ok;
        totals.unknown += r.stats.unknown;
        totals.faults += r.stats.faultsApplied;
        totals.virtualMs += Math.round(r.stats.virtualMs);
        totals.lockHolds += r.stats.lockHolds;
        totals.replayedFrames += r.stats.replayedFrames;
        if (schedule.kvLimits !== undefined) totals.smallTables++;
        const found = problems(r);
        if (found.length > 0)
          throw new Error(
            `${describeSchedule(schedule)}\n${found.join('\n')}\n--- cluster log ---\n${r.log.join('\n')}`,
          );
      }),
      { numRuns, seed, ...(path === undefined ? {} : { path }) },
    );
    const realS = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`cluster simulation: ${JSON.stringify(totals)} in ${realS} s real`);
    if (details.failed) {
      const replay = `FLOTILLA_CLUSTER_SEED=${details.seed} FLOTILLA_CLUSTER_PATH=${details.counterexamplePath ?? ''} npx vitest run ${TEST_FILE}`;
      const error =
        details.errorInstance instanceof Error
          ? details.errorInstance.message
          : String(details.errorInstance);
      console.error(
        `counterexample after ${details.numShrinks} shrinks:\n${error}\nreplay: ${replay}`,
      );
      expect.fail(
        `simulation found a problem (seed ${details.seed}, path ${details.counterexamplePath}); replay: ${replay}`,
      );
    }
    expect(totals.runs).toBeGreaterThanOrEqual(numRuns);
  }, 600_000);
});
