// One simulated run: start the cluster, run clients, lock contenders and the
// fault schedule in virtual time, heal, read every key once more, and check
// the history (linearizable) and the lock holds (mutually exclusive).

import { checkLinearizable, type CheckResult } from '../checker/check.js';
import { checkMutex, type LockHold, type MutexViolation } from '../checker/mutex.js';
import { registerModel } from '../checker/register-model.js';
import { HistoryRecorder } from '../history/recorder.js';
import type { RegisterOp } from '../history/types.js';
import { issue, runClients, type ClientEnv, type WorkloadOptions } from './client.js';
import { SimCluster, type DiskLatency } from './cluster.js';
import { SimulationLivelockError } from './errors.js';
import { runLockClients, type LockOptions } from './lock.js';
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
  /** Lock contenders (lease lock recipe); absent = none. */
  readonly lock?: LockOptions;
  /** Each node's clock rate is drawn from [1 - d, 1 + d]. Default 0. */
  readonly clockDriftMax?: number;
  /** Storage write latency; absent = writes finish at once. */
  readonly disk?: DiskLatency;
  /** After a restart, each peer link reconnects within this many ms and replays frames queued for the node. Default 50. */
  readonly reconnectMsMax?: number;
}

/**
 * Clock drift in the default runs: ±2 % per node, so two clocks differ by at
 * most ~4 %, well inside what leaseFraction 0.8 tolerates (a lease of 0.8 of
 * the election timeout must end before any peer's timeout runs out).
 */
export const DEFAULT_CLOCK_DRIFT = 0.02;

/**
 * The workload the property suite runs: register clients (a quarter of reads
 * are lease reads, half of the clients are exactly-once clients that retry),
 * two lock contenders on 1-second leases (30 % of holders stall past their
 * lease and then keep alive again), drifting clocks, and a disk whose
 * synced writes take 1–4 ms (unsynced up to 1 ms).
 */
export const DEFAULT_SIMULATION: SimulationOptions = {
  workload: {
    clients: 4,
    keys: 3,
    timeoutMs: 400,
    thinkMsMax: 40,
    readConsistency: 'linearizable',
    leaseReadShare: 0.25,
    sessionShare: 0.5,
    retriesMax: 3,
  },
  healMsMax: 10_000,
  electionMsMax: 5_000,
  checkStepsMax: 1_000_000,
  lock: {
    clients: 2,
    ttlSeconds: 1,
    keepAliveEveryMs: 250,
    holdMsMax: 1_200,
    timeoutMs: 400,
    thinkMsMax: 100,
    stallShare: 0.3,
    clockDriftMax: DEFAULT_CLOCK_DRIFT,
  },
  clockDriftMax: DEFAULT_CLOCK_DRIFT,
  disk: { writeMs: [0, 1], syncMs: [1, 4] },
  reconnectMsMax: 50,
};

/** The register-only workload of the first simulator (no leases, locks, sessions, drift or disk latency). */
export const PLAIN_SIMULATION: SimulationOptions = {
  workload: {
    clients: 4,
    keys: 3,
    timeoutMs: 400,
    thinkMsMax: 40,
    readConsistency: 'linearizable',
  },
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
  /** What the lock contenders believed they held, and the pairs that overlapped. */
  readonly locks: {
    readonly holds: readonly LockHold[];
    readonly violations: readonly MutexViolation[];
  };
  readonly stats: {
    readonly operations: number;
    readonly ok: number;
    readonly fail: number;
    readonly unknown: number;
    readonly virtualMs: number;
    readonly steps: number;
    readonly faultsApplied: number;
    readonly faultsSkipped: number;
    readonly lockHolds: number;
    /** Frames delivered to restarted nodes that were queued for their previous incarnation. */
    readonly replayedFrames: number;
  };
  readonly log: readonly string[];
}

/** Whether the run found a safety problem (what the property test asserts against). */
export function isUnsafe(r: SimulationResult): boolean {
  return (
    r.check.verdict === 'violation' ||
    r.invariantViolations.length > 0 ||
    r.locks.violations.length > 0
  );
}

async function finalReads(
  rt: SimRuntime,
  cluster: SimCluster,
  env: ClientEnv,
  options: SimulationOptions,
): Promise<void> {
  for (let k = 0; k < options.workload.keys; k++) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const leader = cluster.leaderId();
      if (leader === undefined) {
        await rt.runFor(100);
        continue;
      }
      const done = await rt.drive(
        issue(
          env,
          env.newProcess(),
          cluster.node(leader) as SimulatedNode,
          { op: 'read', key: `k${k}` },
          { ...options.workload, readConsistency: 'linearizable' },
        ),
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
  const cluster = new SimCluster(
    rt,
    {
      nodes: schedule.nodes,
      snapshotEntries: schedule.snapshotEntries,
      clockDriftMax: options.clockDriftMax ?? 0,
      ...(options.disk === undefined ? {} : { disk: options.disk }),
      reconnectMsMax: options.reconnectMsMax ?? 50,
      kvLimits: schedule.kvLimits ?? {},
    },
    start,
  );
  const recorder = new HistoryRecorder({ now: () => rt.now });
  let process = 0;
  const env: ClientEnv = {
    runtime: rt,
    recorder,
    reachable: () => cluster.up(),
    newProcess: () => process++,
    busy: cluster.busy,
  };
  const liveness: string[] = [];
  await rt.drive(cluster.start(), options.electionMsMax, 'cluster start');
  if (!(await rt.runUntilTrue(() => cluster.leaderId() !== undefined, options.electionMsMax))) {
    liveness.push(`no leader within ${options.electionMsMax} ms of start`);
  }
  const t0 = rt.now;
  const nemesis = new Nemesis(rt, cluster, { opMsMax: 2_000 });
  const holds: LockHold[] = [];
  try {
    for (const f of schedule.faults) nemesis.at(t0 + f.atMs, f.fault);
    const clients = runClients(env, options.workload, t0 + schedule.durationMs);
    const lockers =
      options.lock === undefined
        ? Promise.resolve(holds)
        : runLockClients(env, options.lock, t0 + schedule.durationMs, holds);
    const slackMs = Math.max(
      options.workload.timeoutMs * 4 * (1 + (options.workload.retriesMax ?? 0)),
      (options.lock?.timeoutMs ?? 0) * 3 + (options.lock?.holdMsMax ?? 0) + 2_000,
    );
    await rt.drive(
      Promise.all([clients, lockers]),
      schedule.durationMs + slackMs + 1_000,
      'clients',
    );
    await rt.drive(nemesis.idle(), options.healMsMax, 'pending faults');
    await rt.drive(cluster.healAll(), options.healMsMax, 'heal');
    if (!(await rt.runUntilTrue(() => cluster.converged(), options.healMsMax))) {
      liveness.push(`no leader or no convergence within ${options.healMsMax} ms after healing`);
    }
    await finalReads(rt, cluster, env, options);
    await rt.drive(cluster.close(), options.healMsMax, 'close');
  } catch (err) {
    // A livelock ends the run; what was recorded until then is still checked (open operations count as unknown).
    if (!(err instanceof SimulationLivelockError)) throw err;
    liveness.push(err.message);
    cluster.note(`run stopped: ${err.message}`);
  }
  const history = recorder.history();
  const check = checkLinearizable(registerModel, history, {
    stepsMaxPerPartition: options.checkStepsMax,
  });
  const count = (o: RegisterOp['outcome']) => history.filter((h) => h.outcome === o).length;
  return {
    history,
    check,
    invariantViolations: cluster.violations,
    liveness,
    locks: { holds, violations: checkMutex(holds) },
    stats: {
      operations: history.length,
      ok: count('ok'),
      fail: count('fail'),
      unknown: count('unknown'),
      virtualMs: rt.now,
      steps: rt.steps,
      faultsApplied: nemesis.applied,
      faultsSkipped: nemesis.skipped,
      lockHolds: holds.length,
      replayedFrames: cluster.replayedFrames(),
    },
    log: cluster.log,
  };
}
