// The issue's targets, evaluated on one run's numbers: ratios between the
// targets measured side by side, absolute times only where the issue sets them.
import type { Goal, TargetResults } from './results.js';
import type { MachineSetup } from './setup.js';
import type { TargetName } from './flags.js';

type ByName = Partial<Record<TargetName, TargetResults>>;

const fmt = (n: number, digits = 2): string =>
  Number.isFinite(n) ? String(Math.round(n * 10 ** digits) / 10 ** digits) : '—';

function ratioGoal(
  id: string,
  text: string,
  a: number | undefined,
  b: number | undefined,
  test: (ratio: number) => boolean,
  unit: string,
): Goal {
  if (a === undefined || b === undefined || b === 0)
    return { id, text, measured: 'not measured in this run', met: null };
  const ratio = a / b;
  return {
    id,
    text,
    measured: `${fmt(a)} ${unit} vs ${fmt(b)} ${unit} → ratio ${fmt(ratio)}`,
    met: test(ratio),
  };
}

const seqP50 = (t: TargetResults | undefined): number | undefined => t?.sequential?.latencyMs.p50;
const tputAt = (t: TargetResults | undefined, clients: number): number | undefined =>
  t?.sweep?.find((r) => r.clients === clients)?.throughput;
const cpuAt = (t: TargetResults | undefined, clients: number): number | undefined =>
  t?.sweep?.find((r) => r.clients === clients)?.cpu?.usPerWrite;

/** The state-latency step closest to `fraction` of saturation. */
function stepNear(t: TargetResults | undefined, fraction: number) {
  const steps = t?.state?.steps ?? [];
  return [...steps].sort(
    (x, y) => Math.abs(x.fraction - fraction) - Math.abs(y.fraction - fraction),
  )[0];
}

/** The worst follower's state latency p99 (the leader's own measure; Flotilla only) or put→visible p50 in the step near `fraction`. */
function worstFollower(
  t: TargetResults | undefined,
  fraction: number,
  pick: 'state' | 'visible',
): number | undefined {
  const step = stepNear(t, fraction);
  if (step === undefined) return undefined;
  const values =
    pick === 'state'
      ? Object.values(step.stateLatencyMs ?? {}).map((q) => q.p99)
      : step.followers.map((f) => f.putToVisibleMs.p50);
  return values.length === 0 ? undefined : Math.max(...values);
}

export function evaluateGoals(targets: readonly TargetResults[], setup: MachineSetup): Goal[] {
  const by: ByName = Object.fromEntries(targets.map((t) => [t.name, t]));
  const remote = by.flotilla;
  const embedded = by['flotilla-embedded'];
  const etcd = by.etcd;
  const goals: Goal[] = [];
  goals.push(
    ratioGoal(
      'seq-remote',
      'Sequential put p50: Flotilla remote ≤ 0.5 × etcd',
      seqP50(remote),
      seqP50(etcd),
      (r) => r <= 0.5,
      'ms',
    ),
  );
  goals.push(
    ratioGoal(
      'seq-embedded',
      'Sequential put p50: embedded ≤ 3 × measured fsync p50',
      seqP50(embedded),
      setup.fsync.p50,
      (r) => r <= 3,
      'ms',
    ),
  );
  goals.push(
    ratioGoal(
      'tput-remote',
      'Throughput at 256 clients: Flotilla remote ≥ 3 × etcd',
      tputAt(remote, 256),
      tputAt(etcd, 256),
      (r) => r >= 3,
      'puts/s',
    ),
  );
  goals.push(
    ratioGoal(
      'tput-embedded',
      'Throughput at 256 clients: embedded ≥ 10 × etcd',
      tputAt(embedded, 256),
      tputAt(etcd, 256),
      (r) => r >= 10,
      'puts/s',
    ),
  );
  goals.push(
    ratioGoal(
      'cpu-remote',
      'CPU per committed write at 256 clients (members + client): Flotilla remote ≤ 0.67 × etcd',
      cpuAt(remote, 256),
      cpuAt(etcd, 256),
      (r) => r <= 0.67,
      'µs',
    ),
  );
  goals.push(
    ratioGoal(
      'cpu-embedded',
      'CPU per committed write at 256 clients (members + client): embedded ≤ 0.33 × etcd',
      cpuAt(embedded, 256),
      cpuAt(etcd, 256),
      (r) => r <= 0.33,
      'µs',
    ),
  );
  for (const [name, t] of [
    ['flotilla', remote],
    ['flotilla-embedded', embedded],
  ] as const) {
    const p99 = worstFollower(t, 0.5, 'state');
    goals.push(
      p99 === undefined
        ? {
            id: `state-${name}`,
            text: `State latency p99 ≤ 5 ms at half of saturation (${name})`,
            measured: 'not measured in this run',
            met: null,
          }
        : {
            id: `state-${name}`,
            text: `State latency p99 ≤ 5 ms at half of saturation (${name})`,
            measured: `worst follower p99 ${fmt(p99)} ms at ${stepNear(t, 0.5)!.rate} puts/s`,
            met: p99 <= 5,
          },
    );
  }
  // Put-to-visible is compared at each system's lightest step (the probe users run on a quiet cluster).
  const lightest = (t: TargetResults | undefined) =>
    Math.min(...(t?.state?.steps ?? []).map((s) => s.fraction));
  goals.push(
    ratioGoal(
      'visible-remote',
      'Put-to-visible on a follower p50: Flotilla remote ≤ 0.5 × etcd (lightest load step)',
      worstFollower(remote, lightest(remote), 'visible'),
      worstFollower(etcd, lightest(etcd), 'visible'),
      (r) => r <= 0.5,
      'ms',
    ),
  );
  for (const [name, t] of [
    ['flotilla', remote],
    ['flotilla-embedded', embedded],
  ] as const) {
    const f = t?.failover?.find((x) => x.setting === 'default');
    const text = `Failover RTO with default settings: median ≤ 400 ms, p99 ≤ 1 s (${name})`;
    goals.push(
      f === undefined || f.rtoMs.count === 0
        ? { id: `rto-${name}`, text, measured: 'not measured in this run', met: null }
        : {
            id: `rto-${name}`,
            text,
            measured: `median ${fmt(f.rtoMs.p50, 0)} ms, p99 ${fmt(f.rtoMs.p99, 0)} ms over ${f.trials.length} trials${f.unrecovered ? ` (${f.unrecovered} unrecovered)` : ''}`,
            met: f.rtoMs.p50 <= 400 && f.rtoMs.p99 <= 1000 && f.unrecovered === 0,
          },
    );
  }
  for (const [name, t] of [
    ['flotilla', remote],
    ['etcd', etcd],
  ] as const) {
    const cf = t?.clientFailover;
    const text = `Client-seen failover: no request waits longer than RTO + ${cf?.graceMs ?? 200} ms (median over trials, ${name})`;
    goals.push(
      cf === undefined || cf.ratioMedian === null
        ? { id: `client-failover-${name}`, text, measured: 'not measured in this run', met: null }
        : {
            id: `client-failover-${name}`,
            text,
            measured: `longest wait ÷ (RTO + ${cf.graceMs} ms): median ${fmt(cf.ratioMedian)}; ${cf.withinBound} of ${cf.trials.length} trials within${cf.unrecovered ? ` (${cf.unrecovered} unrecovered)` : ''}`,
            met: cf.ratioMedian <= 1 && cf.unrecovered === 0,
          },
    );
  }
  const largest = (t: TargetResults | undefined) =>
    [...(t?.memory ?? [])].sort((a, b) => b.keys - a.keys)[0];
  const memRemote = largest(remote);
  const memEtcd = etcd?.memory?.find((m) => m.keys === memRemote?.keys);
  const memText = `Memory with 1,000,000 keys of 256 B: Flotilla RSS per node ≤ etcd's${memRemote && memRemote.keys !== 1_000_000 ? ` (this run: ${memRemote.keys.toLocaleString('en')} keys)` : ''}`;
  goals.push(
    ratioGoal('memory', memText, memRemote?.maxRssMiB, memEtcd?.maxRssMiB, (r) => r <= 1, 'MiB'),
  );
  return goals;
}
