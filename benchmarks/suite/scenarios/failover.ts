// Scenario 5: failover. While one client writes, SIGKILL the leader at a
// random moment and time, from the kill:
//   - leader: until a surviving member names a new leader;
//   - RTO: until the first acknowledged write sent after the kill. Probe
//     writes go out every PROBE_EVERY_MS through the normal client, each on
//     its own, so one call stuck on the dead leader does not hide recovery.
// Then restart the killed member and wait until the cluster agrees on a
// leader and the member has caught up. For flotilla-embedded the member in
// this process is never the victim: if it leads, leadership is first moved
// to a child process (the embedding service survives, a peer dies).
import { memberStatus, newLeaderSeen, transferLeadership } from '../cluster-status.js';
import { sleep, valueOf, type RunContext } from '../context.js';
import { LatencyHistogram, round, type LatencySummary } from '../histogram.js';
import { startTarget, type BenchTarget, type ElectionSetting } from '../targets.js';
import type { TargetName } from '../flags.js';

export interface FailoverTrial {
  readonly leaderMs: number | null;
  readonly rtoMs: number | null;
}

export interface FailoverResult {
  readonly setting: ElectionSetting;
  readonly trials: readonly FailoverTrial[];
  readonly leaderMs: LatencySummary;
  readonly rtoMs: LatencySummary;
  /** Trials whose write or leader did not come back within RECOVERY_TIMEOUT_MS. */
  readonly unrecovered: number;
}

const PROBE_EVERY_MS = 10;
const PROBES_IN_FLIGHT_MAX = 500;
export const RECOVERY_TIMEOUT_MS = 15_000;
const CATCH_UP_TIMEOUT_MS = 20_000;

export async function failover(
  name: TargetName,
  setting: ElectionSetting,
  ctx: RunContext,
): Promise<FailoverResult> {
  const t = await startTarget({ name, baseDir: ctx.dataDir, election: setting });
  const trials: FailoverTrial[] = [];
  try {
    for (let n = 0; n < ctx.settings.failoverTrials; n++) {
      ctx.progress.begin(
        `${name}: failover (${setting} election settings), trial ${n + 1}/${ctx.settings.failoverTrials}`,
      );
      const trial = await oneTrial(t, ctx, n);
      trials.push(trial);
      ctx.progress.update(
        `new leader after ${trial.leaderMs ?? '—'} ms, first write after ${trial.rtoMs ?? '—'} ms`,
      );
    }
  } finally {
    await t.close();
  }
  const leader = new LatencyHistogram();
  const rto = new LatencyHistogram();
  for (const tr of trials) {
    if (tr.leaderMs !== null) leader.record(tr.leaderMs);
    if (tr.rtoMs !== null) rto.record(tr.rtoMs);
  }
  const unrecovered = trials.filter((tr) => tr.rtoMs === null || tr.leaderMs === null).length;
  if (unrecovered > 0)
    ctx.failures.push(
      `${name} failover (${setting}): ${unrecovered} of ${trials.length} trials did not recover within ${RECOVERY_TIMEOUT_MS} ms`,
    );
  const result = { setting, trials, leaderMs: leader.summary(), rtoMs: rto.summary(), unrecovered };
  ctx.progress.note(
    `${name} failover (${setting}): RTO median ${result.rtoMs.p50} ms, p99 ${result.rtoMs.p99} ms over ${trials.length} trials`,
  );
  return result;
}

/** The member to SIGKILL: the leader, moved off the in-process member first (flotilla-embedded). */
export async function victim(t: BenchTarget): Promise<number> {
  const leader = await t.leaderIndex();
  if (t.killable(leader)) return leader;
  const other = t.urls.findIndex((_, i) => t.killable(i));
  const id = (await memberStatus(t.urls[other]!))?.memberId;
  if (id === undefined) throw new Error(`member ${other} does not answer`);
  await transferLeadership(t.urls, t.urls[leader]!, id);
  return other;
}

async function oneTrial(t: BenchTarget, ctx: RunContext, n: number): Promise<FailoverTrial> {
  const value = valueOf(ctx.settings);
  const leader = await victim(t);
  const leaderId = (await memberStatus(t.urls[leader]!))?.memberId ?? '0';
  let stop = false;
  let seq = 0;
  const writer = (async () => {
    while (!stop) await t.kv.put(`fo/${n}/w${seq++}`, value).catch(() => sleep(5));
  })();
  await sleep(200 + Math.random() * 800);
  stop = true;
  const killedAt = performance.now();
  const killed = t.kill(leader);
  const survivors = t.urls.filter((_, i) => i !== leader);
  const leaderSeen = newLeaderSeen(survivors, leaderId, RECOVERY_TIMEOUT_MS).then((id) =>
    id === undefined ? null : performance.now() - killedAt,
  );
  const rto = await probeUntilWritten(t, value, `fo/${n}/p`, killedAt);
  const leaderMs = await leaderSeen;
  await killed;
  await writer;
  await t.restart(leader);
  await caughtUp(t, leader);
  return {
    leaderMs: leaderMs === null ? null : round(leaderMs),
    rtoMs: rto === null ? null : round(rto),
  };
}

/** Sends a write every PROBE_EVERY_MS until one is acknowledged; ms from `fromMs` to that ack, or null on timeout. */
export async function probeUntilWritten(
  t: BenchTarget,
  value: Uint8Array,
  prefix: string,
  fromMs: number,
): Promise<number | null> {
  let done: number | null = null;
  let inFlight = 0;
  let i = 0;
  const deadline = fromMs + RECOVERY_TIMEOUT_MS;
  while (done === null && performance.now() < deadline) {
    if (inFlight < PROBES_IN_FLIGHT_MAX) {
      inFlight++;
      t.kv
        .put(`${prefix}${i++}`, value)
        .then(
          () => {
            if (done === null) done = performance.now() - fromMs;
          },
          () => undefined,
        )
        .finally(() => inFlight--);
    }
    await sleep(PROBE_EVERY_MS);
  }
  return done;
}

/** Waits until every member agrees on a leader and the restarted member's raft index is within reach of the leader's. */
export async function caughtUp(t: BenchTarget, member: number): Promise<void> {
  const deadline = performance.now() + CATCH_UP_TIMEOUT_MS;
  for (;;) {
    const leader = await t.leaderIndex(CATCH_UP_TIMEOUT_MS);
    const [l, m] = await Promise.all([
      memberStatus(t.urls[leader]!),
      memberStatus(t.urls[member]!),
    ]);
    if (l && m && m.raftIndex >= l.raftIndex - 10) return;
    if (performance.now() > deadline)
      throw new Error(`member ${member} did not catch up within ${CATCH_UP_TIMEOUT_MS} ms`);
    await sleep(50);
  }
}
