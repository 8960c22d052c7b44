// One simulated run: start the cluster, run clients and the fault schedule in
// virtual time, heal, read every key once more, and check the history.

import { checkLinearizable, type CheckResult } from '../checker/check.js';
import { registerModel } from '../checker/register-model.js';
import { HistoryRecorder } from '../history/recorder.js';
import type { RegisterOp } from '../history/types.js';
import { issue, runClients, type ClientEnv, type WorkloadOptions } from './client.js';
import { SimCluster } from './cluster.js';
import { Nemesis } from './nemesis.js';
import { SimRuntime } from './runtime.js';
import type { FaultSchedule } from './schedule.js';
import type { NodeStarter, SimulatedNode } from './sim-node.js';

export interface SimulationOptions {
  readonly workload: WorkloadOptions;
  /** Virtual time allowed after healing for a leader and convergence. */
  readonly healMsMax: number;
  /** Virtual time allowed for the first leader. */
  readonly electionMsMax: number;
  /** Search budget per key for the checker. */
  readonly checkStepsMax: number;
}

export const DEFAULT_SIMULATION: SimulationOptions = {
  workload: { clients: 4, keys: 3, timeoutMs: 400, thinkMsMax: 40, readConsistency: 'linearizable' },
  healMsMax: 10_000,
  electionMsMax: 5_000,
  checkStepsMax: 1_000_000,
};

export interface SimulationResult {
  readonly history: readonly RegisterOp[];
  readonly check: CheckResult;
  /** Safety violations seen while running (e.g. two leaders in one term). */
  readonly invariantViolations: readonly string[];
  /** Liveness problems (no leader after healing); reported, not linearizability failures. */
  readonly liveness: readonly string[];
  readonly stats: {
    readonly operations: number;
    readonly ok: number;
    readonly fail: number;
    readonly unknown: number;
    readonly virtualMs: number;
    readonly steps: number;
    readonly faultsApplied: number;
    readonly faultsSkipped: number;
  };
  readonly log: readonly string[];
}

/** Whether the run found a safety problem (what the property test asserts against). */
export function isUnsafe(r: SimulationResult): boolean {
  return r.check.verdict === 'violation' || r.invariantViolations.length > 0;
}

async function finalReads(rt: SimRuntime, cluster: SimCluster, env: ClientEnv, options: SimulationOptions): Promise<void> {
  for (let k = 0; k < options.workload.keys; k++) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const leader = cluster.leaderId();
      if (leader === undefined) {
        await rt.runFor(100);
        continue;
      }
      const done = await rt.drive(
        issue(env, env.newProcess(), cluster.node(leader) as SimulatedNode, { op: 'read', key: `k${k}` }, { ...options.workload, readConsistency: 'linearizable' }),
        options.workload.timeoutMs * 2,
        `final read of k${k}`,
      );
      if (done.result !== undefined) break;
    }
  }
}

export async function runSimulation(
  schedule: FaultSchedule,
  start: NodeStarter,
  options: SimulationOptions = DEFAULT_SIMULATION,
): Promise<SimulationResult> {
  const rt = new SimRuntime(schedule.seed);
  const cluster = new SimCluster(rt, { nodes: schedule.nodes, snapshotEntries: schedule.snapshotEntries }, start);
  const recorder = new HistoryRecorder({ now: () => rt.now });
  let process = 0;
  const env: ClientEnv = { runtime: rt, recorder, reachable: () => cluster.up(), newProcess: () => process++ };
  const liveness: string[] = [];
  await rt.drive(cluster.start(), options.electionMsMax, 'cluster start');
  if (!(await rt.runUntilTrue(() => cluster.leaderId() !== undefined, options.electionMsMax))) {
    liveness.push(`no leader within ${options.electionMsMax} ms of start`);
  }
  const t0 = rt.now;
  const nemesis = new Nemesis(rt, cluster, { opMsMax: 2_000 });
  for (const f of schedule.faults) nemesis.at(t0 + f.atMs, f.fault);
  const clients = runClients(env, options.workload, t0 + schedule.durationMs);
  await rt.drive(clients, schedule.durationMs + options.workload.timeoutMs * 4 + 1_000, 'clients');
  await rt.drive(nemesis.idle(), options.healMsMax, 'pending faults');
  await rt.drive(cluster.healAll(), options.healMsMax, 'heal');
  if (!(await rt.runUntilTrue(() => cluster.converged(), options.healMsMax))) {
    liveness.push(`no leader or no convergence within ${options.healMsMax} ms after healing`);
  }
  await finalReads(rt, cluster, env, options);
  await rt.drive(cluster.close(), options.healMsMax, 'close');
  const history = recorder.history();
  const check = checkLinearizable(registerModel, history, { stepsMaxPerPartition: options.checkStepsMax });
  const count = (o: RegisterOp['outcome']) => history.filter((h) => h.outcome === o).length;
  return {
    history,
    check,
    invariantViolations: cluster.violations,
    liveness,
    stats: {
      operations: history.length,
      ok: count('ok'),
      fail: count('fail'),
      unknown: count('unknown'),
      virtualMs: rt.now,
      steps: rt.steps,
      faultsApplied: nemesis.applied,
      faultsSkipped: nemesis.skipped,
    },
    log: cluster.log,
  };
}
