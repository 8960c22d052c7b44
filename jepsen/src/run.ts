// One test run: start the cluster behind proxies, run the workloads' clients
// while the nemesis plays its seeded schedule, heal everything, wait for the
// cluster to settle, do the final reads, check, and write the report.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LEASE_CLOCK_DRIFT_MAX } from '@flotilla/node';
import { EtcdTarget } from './cluster/etcd-target.js';
import { FlotillaTarget } from './cluster/flotilla-target.js';
import { awaitSettled } from './cluster/health.js';
import { pollUntil } from './cluster/process.js';
import { defaultClient, type ClientKind, type Target, type TargetKind } from './cluster/target.js';
import { resolveNemeses, scheduleFaults } from './nemesis/faults.js';
import { Nemesis } from './nemesis/nemesis.js';
import { isRestartFault } from './nemesis/restart-faults.js';
import { httpMemberApi } from './cluster/flotilla-members.js';
import { renderReport } from './report/html.js';
import { seededRng } from './rng.js';
import { makeWorkloads } from './workloads/registry.js';
import type { RunContext, WorkloadVerdict } from './workloads/workload.js';
import type { AppliedFault } from './nemesis/nemesis.js';

export interface RunOptions {
  readonly target: TargetKind;
  /** The workloads' protocol: http (remoteKv, JSON API) or grpc (the etcd3 client); default: the target's own (Flotilla http, etcd grpc). */
  readonly client?: ClientKind;
  readonly nodes: number;
  readonly workloads: readonly string[];
  readonly nemeses: readonly string[];
  readonly timeS: number;
  readonly seed: number;
  /** Where report.html and verdict.json go. */
  readonly outDir: string;
  readonly unsafeReads?: boolean;
  readonly clientsPerNode?: number;
  readonly requestTimeoutMs?: number;
  /** Keep data directories and node logs (under outDir/data). */
  readonly keepData?: boolean;
  /** Extra `flotilla start` flags. */
  readonly flotillaArgs?: readonly string[];
  /** Flotilla only: TLS everywhere (certificates made for the run) and auth on, the clients logging in as root. */
  readonly secure?: boolean;
  readonly log?: (line: string) => void;
}

export interface RunVerdict {
  readonly valid: boolean | 'unknown';
  readonly seed: number;
  readonly replay: string;
  readonly settings: Record<string, unknown>;
  readonly workloads: readonly WorkloadVerdict[];
  readonly faults: readonly AppliedFault[];
  readonly notes: readonly string[];
  readonly durationMs: number;
  readonly reportFile: string;
  readonly verdictFile: string;
}

export class ClusterNotReadyError extends Error {
  override readonly name = 'ClusterNotReadyError';
}

/** `--nemesis churn` against etcd: refused rather than left out, since the run would not test what was asked. */
export class ChurnUnsupportedError extends Error {
  override readonly name = 'ChurnUnsupportedError';
  constructor() {
    super(
      'the churn nemesis runs against Flotilla only: etcd members dial the peer URL announced for a member, which would bypass ' +
        'the partition proxies, and etcd re-adds a removed member only under a new member id with a wiped data directory; ' +
        'drop churn from --nemesis for --target etcd',
    );
  }
}

/** Workloads whose guarantee rests on bounded clock drift (the leader lease). */
const CLOCK_TRUSTING_WORKLOADS = ['register-lease', 'lease-lock'];

/** `--nemesis clock-extreme` with lease workloads: refused, since lease reads and expiry are promised only within the drift bound. */
export class ClockBeyondLeaseBoundError extends Error {
  override readonly name = 'ClockBeyondLeaseBoundError';
  constructor(workloads: readonly string[]) {
    super(
      `the clock-extreme nemesis runs clocks far beyond the drift the leader lease assumes (±${LEASE_CLOCK_DRIFT_MAX * 100} %), ` +
        `where lease reads and lease expiry are not promised to hold; drop ${workloads.join(' and ')} from --workload, or use the clock group`,
    );
  }
}

const SETTLE_TIMEOUT_MS = 30_000;
const START_ATTEMPTS_MAX = 3;

/** What the run's clients were, for the report: what each may retry decides how many outcomes are unknown. */
export function clientNote(
  target: TargetKind,
  client: ClientKind,
  workloads: readonly string[],
): string {
  if (client === 'grpc')
    return target === 'flotilla'
      ? `clients: the etcd3 npm client over Flotilla's v3 gRPC API (etcdKv), as against etcd: no exactly-once identity, a write whose answer is lost is never repeated (recorded unknown)${workloads.includes('register-lease') ? "; register-lease's ranges carry x-flotilla-read-consistency: lease metadata" : ''}`
      : "clients: the etcd3 npm client over etcd's v3 gRPC API (etcdKv): a write whose answer is lost is never repeated (recorded unknown)";
  return target === 'flotilla'
    ? "clients: remoteKv over Flotilla's JSON API with exactly-once writes (a write whose answer is lost is repeated once under the same client id and sequence)"
    : "clients: remoteKv over etcd's v3 JSON gateway, exactly-once off (a write whose answer is lost is never repeated; recorded unknown)";
}

function clientOf(o: RunOptions): ClientKind {
  return o.client ?? defaultClient(o.target);
}

export function replayCommand(o: RunOptions): string {
  return `pnpm jepsen --target ${o.target} --client ${clientOf(o)} --nodes ${o.nodes} --workload ${o.workloads.join(',')} --nemesis ${o.nemeses.join(',') || 'none'} --time ${o.timeS} --seed ${o.seed}${o.unsafeReads ? ' --unsafe-reads' : ''}${o.secure ? ' --secure' : ''}`;
}

async function createTarget(o: RunOptions, dataDir: string): Promise<Target> {
  if (o.target === 'etcd')
    return EtcdTarget.create({ size: o.nodes, baseDir: dataDir, client: clientOf(o) });
  return FlotillaTarget.create({
    size: o.nodes,
    baseDir: dataDir,
    client: clientOf(o),
    ...(o.flotillaArgs ? { extraArgs: o.flotillaArgs } : {}),
    ...(o.secure ? { secure: true } : {}),
  });
}

/** Starts every node and waits for all of them to agree on a leader; a start that fails (e.g. a port taken) is retried on a fresh cluster. */
async function startCluster(
  o: RunOptions,
  dataDir: string,
  notes: string[],
): Promise<{ target: Target; leader: number }> {
  let problem = '';
  for (let attempt = 1; attempt <= START_ATTEMPTS_MAX; attempt++) {
    const target = await createTarget(o, path.join(dataDir, `attempt${attempt}`));
    for (let i = 0; i < target.size; i++) target.start(i);
    const leader = await awaitSettled(target, SETTLE_TIMEOUT_MS);
    const allRunning = Array.from({ length: target.size }, (_, i) => target.isRunning(i)).every(
      Boolean,
    );
    const idsKnown =
      !(target instanceof EtcdTarget) ||
      (await pollUntil(() => target.learnMemberIds(), 10_000, 200));
    if (leader !== undefined && allRunning && idsKnown) {
      // --secure: root and auth enable now, before any workload client exists.
      if (target instanceof FlotillaTarget && target.secure) {
        // A failed setup (or the check that auth holds) must not leave the processes running.
        try {
          notes.push(await target.prepare(leader));
        } catch (err) {
          await target.close();
          throw err;
        }
      }
      return { target, leader };
    }
    problem =
      leader === undefined
        ? `no agreed leader within ${SETTLE_TIMEOUT_MS} ms`
        : !allRunning
          ? 'a node exited during start'
          : 'the etcd member ids could not be learned from the gateway';
    notes.push(
      `cluster start attempt ${attempt} failed (${problem}); logs in ${path.join(dataDir, `attempt${attempt}`)}`,
    );
    await target.close();
  }
  throw new ClusterNotReadyError(
    `the ${o.target} cluster did not start after ${START_ATTEMPTS_MAX} attempts (last: ${problem}); see the logs in ${dataDir}`,
  );
}

export async function runTest(o: RunOptions): Promise<RunVerdict> {
  const log = o.log ?? (() => undefined);
  const began = Date.now();
  if (o.target !== 'flotilla' && resolveNemeses(o.nemeses).some((k) => k.startsWith('churn')))
    throw new ChurnUnsupportedError();
  const trusting = o.workloads.filter((w) => CLOCK_TRUSTING_WORKLOADS.includes(w));
  if (trusting.length > 0 && resolveNemeses(o.nemeses).some((k) => k.startsWith('clock-extreme')))
    throw new ClockBeyondLeaseBoundError(trusting);
  fs.mkdirSync(o.outDir, { recursive: true });
  const dataDir = o.keepData
    ? path.join(o.outDir, 'data')
    : fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-jepsen-'));
  const rng = seededRng(o.seed);
  const notes: string[] = [];
  // On 3 nodes a ring (each node linked to its two neighbours) is the full mesh: no fault at all.
  const asked = resolveNemeses(o.nemeses);
  const kinds = asked.filter(
    (k) =>
      (o.nodes >= 5 || k !== 'partition-ring') && (o.target === 'flotilla' || !isRestartFault(k)),
  );
  if (asked.includes('partition-ring') && !kinds.includes('partition-ring'))
    notes.push('partition-ring needs 5 nodes (on 3 it blocks nothing); left out of this run');
  if (asked.some(isRestartFault) && o.target !== 'flotilla')
    notes.push(
      "clock, slow-disk and failing-disk faults need `flotilla start`'s TEST ONLY flags; left out of this etcd run",
    );
  const churns = kinds.some((k) => k.startsWith('churn'));
  const workloads = makeWorkloads(o.workloads);
  const { target, leader } = await startCluster(o, dataDir, notes);
  let nemesis: Nemesis | undefined;
  let clientPhaseMs = o.timeS * 1000;
  let totalMs = clientPhaseMs;
  try {
    log(
      `cluster up (${o.target} over ${clientOf(o)}, ${o.nodes} nodes, leader ${target.names[leader]}); running ${o.workloads.join('+')} for ${o.timeS} s with ${kinds.join(', ') || 'no faults'}`,
    );
    const t0 = performance.now();
    const now = (): number => performance.now() - t0;
    const required = [...new Set(workloads.flatMap((w) => w.requiredFaults ?? []))];
    for (const k of required.filter((r) => !kinds.includes(r)))
      notes.push(`a workload asks for ${k}, which this run's --nemesis leaves out`);
    if (o.target === 'etcd' && o.workloads.includes('register-lease'))
      notes.push(
        'register-lease on etcd: etcd has no lease reads, its client serves them linearizably',
      );
    notes.push(clientNote(o.target, clientOf(o), o.workloads));
    const schedule = scheduleFaults(rng.fork(), { kinds, durationMs: clientPhaseMs, required });
    const ctx: RunContext = {
      target,
      rng: rng.fork(),
      now,
      endMs: clientPhaseMs,
      requestTimeoutMs: o.requestTimeoutMs ?? 1_000,
      clientsPerNode: o.clientsPerNode ?? 2,
      unsafeReads: o.unsafeReads ?? false,
    };
    nemesis = new Nemesis(
      target,
      now,
      churns && target instanceof FlotillaTarget ? httpMemberApi(target) : undefined,
    );
    const n = nemesis;
    let clientsDone = false;
    // Both settle before the processes are closed: a workload that throws must not leave the
    // nemesis running, or its next heal would start a killed node again after close().
    const [clients, faults] = await Promise.allSettled([
      Promise.all(workloads.map((w) => w.run(ctx))).finally(() => (clientsDone = true)),
      n.run(schedule, () => clientsDone),
    ]);
    for (const r of [clients, faults]) if (r.status === 'rejected') throw r.reason;
    clientPhaseMs = now();
    log(
      `clients done at ${(clientPhaseMs / 1000).toFixed(1)} s (${n.applied.length} faults); healing`,
    );
    const readd = await n.heal(true);
    if (readd !== '') notes.push(`final heal, churn: ${readd}`);
    for (let i = 0; i < target.size; i++) {
      if (!target.isRunning(i)) {
        notes.push(
          `${target.names[i]} was not running at the end of the client phase (it exited on its own); restarted for the final reads`,
        );
        target.start(i);
      }
    }
    if ((await awaitSettled(target, SETTLE_TIMEOUT_MS)) === undefined)
      // Every member runs and the network is whole: a cluster with no leader now will not serve the
      // final reads either, and each would wait out its timeout. Without them the checkers say so.
      notes.push(
        `the cluster did not settle on one leader within ${SETTLE_TIMEOUT_MS} ms after healing; final reads skipped`,
      );
    else for (const w of workloads) await w.final({ ...ctx, endMs: now() });
    totalMs = now();
  } finally {
    await target.close();
  }
  const verdicts = workloads.map((w) => w.check());
  const valid = verdicts.some((v) => v.valid === false)
    ? false
    : verdicts.every((v) => v.valid === true)
      ? true
      : 'unknown';
  const settings = {
    target: o.target,
    client: clientOf(o),
    nodes: o.nodes,
    workloads: o.workloads,
    nemeses: o.nemeses,
    timeS: o.timeS,
    seed: o.seed,
    unsafeReads: o.unsafeReads ?? false,
    secure: o.secure ?? false,
    clientsPerNode: o.clientsPerNode ?? 2,
    requestTimeoutMs: o.requestTimeoutMs ?? 1_000,
  };
  const replay = replayCommand(o);
  const faults = nemesis?.applied ?? [];
  const reportFile = path.join(o.outDir, 'report.html');
  const verdictFile = path.join(o.outDir, 'verdict.json');
  fs.writeFileSync(
    reportFile,
    renderReport({
      title: `${o.target} (${clientOf(o)}) ${o.workloads.join('+')} / ${o.nemeses.join(',') || 'none'} (seed ${o.seed})`,
      valid,
      replay,
      settings,
      clientPhaseMs,
      totalMs,
      faults,
      verdicts,
      notes,
      ops: workloads.flatMap((w) => w.timeline()),
    }),
  );
  const verdict: RunVerdict = {
    valid,
    seed: o.seed,
    replay,
    settings,
    workloads: verdicts,
    faults,
    notes,
    durationMs: Date.now() - began,
    reportFile,
    verdictFile,
  };
  fs.writeFileSync(
    verdictFile,
    JSON.stringify(verdict, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v), 2),
  );
  if (!o.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  return verdict;
}
