// Scenario 8: client-seen failover. The failover scenario times the cluster
// (kill → new leader → first acknowledged write, the RTO); this one times
// what the clients of the cluster go through meanwhile. A steady closed-loop
// write load runs through EVERY member (CLIENTS_PER_MEMBER clients prefer
// each member's client endpoint, so most requests enter through a follower
// and are forwarded), the leader is SIGKILLed at a random moment, and every
// request, sent before or after the kill until SETTLE_AFTER_RTO_MS after the
// RTO, is timed from its send to its answer or error. The figure per trial:
// the longest wait of any request, against RTO + GRACE_MS. A client that
// waits no longer than the cluster needs to recover (plus a round trip or
// two) saw the failover as a pause; one that waits for a request timeout saw
// an outage longer than the cluster's.
import type { KV } from '@flotilla/client';
import { sleep, valueOf, type RunContext } from '../context.js';
import { LatencyHistogram, round, type LatencySummary } from '../histogram.js';
import { startTarget, type BenchTarget } from '../targets.js';
import type { TargetName } from '../flags.js';
import { caughtUp, probeUntilWritten, RECOVERY_TIMEOUT_MS, victim } from './failover.js';

/** The allowance over the RTO that the figure compares with. */
export const GRACE_MS = 200;
export const CLIENTS_PER_MEMBER = 4;
/** The load keeps running this long after the RTO, so requests sent to a recovered cluster count too. */
const SETTLE_AFTER_RTO_MS = 1_000;
/** A request still unanswered this long after the load stopped is recorded with the wait so far. */
const DRAIN_TIMEOUT_MS = 60_000;
const SLOWEST_KEPT = 3;

/** One request as the load recorded it; times in ms relative to the kill. */
export interface RequestRecord {
  readonly member: number;
  readonly sentMs: number;
  readonly waitMs: number;
  /** undefined: acknowledged; otherwise the error's name ('Unanswered' if still waiting at the drain timeout). */
  readonly error?: string;
}

export interface SlowRequest extends RequestRecord {
  /** Whether the member the client preferred was the killed leader. */
  readonly viaVictim: boolean;
}

export interface ClientFailoverTrial {
  readonly rtoMs: number | null;
  /** The longest wait of any request in the trial. */
  readonly maxWaitMs: number;
  /** maxWaitMs / (rtoMs + GRACE_MS); null when the trial did not recover. */
  readonly ratio: number | null;
  readonly requests: number;
  readonly failed: number;
  /** Requests sent before the kill and not yet answered when it happened. */
  readonly inFlightAtKill: number;
  /** Failed requests by error name. */
  readonly errors: Readonly<Record<string, number>>;
  readonly slowest: readonly SlowRequest[];
}

export interface ClientFailoverResult {
  readonly clientsPerMember: number;
  readonly graceMs: number;
  readonly trials: readonly ClientFailoverTrial[];
  /** Over trials: each trial's longest wait. */
  readonly maxWaitMs: LatencySummary;
  readonly rtoMs: LatencySummary;
  /** Median over trials of longest wait / (RTO + grace). */
  readonly ratioMedian: number | null;
  /** Trials whose longest wait was within RTO + grace. */
  readonly withinBound: number;
  /** Every request of every trial. */
  readonly waitMs: LatencySummary;
  readonly failedRequests: number;
  readonly unrecovered: number;
}

/** The figure of one trial from its requests (pure: the unit tests feed it histories). */
export function summarizeTrial(
  requests: readonly RequestRecord[],
  rtoMs: number | null,
  victimMember: number,
): ClientFailoverTrial {
  const errors: Record<string, number> = {};
  for (const r of requests) if (r.error !== undefined) errors[r.error] = (errors[r.error] ?? 0) + 1;
  const maxWaitMs = Math.max(0, ...requests.map((r) => r.waitMs));
  const slowest = [...requests]
    .sort((a, b) => b.waitMs - a.waitMs)
    .slice(0, SLOWEST_KEPT)
    .map((r) => ({
      ...r,
      sentMs: round(r.sentMs, 1),
      waitMs: round(r.waitMs, 1),
      viaVictim: r.member === victimMember,
    }));
  return {
    rtoMs: rtoMs === null ? null : round(rtoMs, 1),
    maxWaitMs: round(maxWaitMs, 1),
    ratio: rtoMs === null ? null : round(maxWaitMs / (rtoMs + GRACE_MS)),
    requests: requests.length,
    failed: requests.filter((r) => r.error !== undefined).length,
    inFlightAtKill: requests.filter((r) => r.sentMs < 0 && r.sentMs + r.waitMs > 0).length,
    errors,
    slowest,
  };
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The result over trials; `waits` holds every request's wait. */
export function summarizeTrials(
  trials: readonly ClientFailoverTrial[],
  waits: LatencyHistogram,
): ClientFailoverResult {
  const maxWait = new LatencyHistogram();
  const rto = new LatencyHistogram();
  for (const tr of trials) {
    maxWait.record(tr.maxWaitMs);
    if (tr.rtoMs !== null) rto.record(tr.rtoMs);
  }
  const ratios = trials.flatMap((tr) => (tr.ratio === null ? [] : [tr.ratio]));
  const m = median(ratios);
  return {
    clientsPerMember: CLIENTS_PER_MEMBER,
    graceMs: GRACE_MS,
    trials,
    maxWaitMs: maxWait.summary(),
    rtoMs: rto.summary(),
    ratioMedian: m === null ? null : round(m),
    withinBound: trials.filter((tr) => tr.ratio !== null && tr.ratio <= 1).length,
    waitMs: waits.summary(),
    failedRequests: trials.reduce((sum, tr) => sum + tr.failed, 0),
    unrecovered: trials.filter((tr) => tr.rtoMs === null).length,
  };
}

export async function clientFailover(
  name: TargetName,
  ctx: RunContext,
): Promise<ClientFailoverResult> {
  const t = await startTarget({ name, baseDir: ctx.dataDir });
  const clients = t.urls.flatMap((_, member) =>
    Array.from({ length: CLIENTS_PER_MEMBER }, () => ({ member, kv: t.clientVia(member) })),
  );
  const trials: ClientFailoverTrial[] = [];
  const waits = new LatencyHistogram();
  const n = ctx.settings.failoverTrials;
  try {
    for (let i = 0; i < n; i++) {
      ctx.progress.begin(
        `${name}: client-seen failover, trial ${i + 1}/${n} (${clients.length} clients over ${t.urls.length} members)`,
      );
      const trial = await oneTrial(t, clients, ctx, i, waits);
      trials.push(trial);
      ctx.progress.update(
        `longest wait ${trial.maxWaitMs} ms, RTO ${trial.rtoMs ?? '—'} ms, ${trial.failed}/${trial.requests} requests failed`,
      );
    }
  } finally {
    await Promise.all(clients.map((c) => c.kv.close()));
    await t.close();
  }
  const result = summarizeTrials(trials, waits);
  if (result.unrecovered > 0)
    ctx.failures.push(
      `${name} client-seen failover: ${result.unrecovered} of ${trials.length} trials did not recover within ${RECOVERY_TIMEOUT_MS} ms`,
    );
  ctx.progress.note(
    `${name} client-seen failover: longest wait median ${result.maxWaitMs.p50} ms, RTO median ${result.rtoMs.p50} ms, ` +
      `longest wait / (RTO + ${GRACE_MS} ms) median ${result.ratioMedian ?? '—'}, ${result.withinBound}/${trials.length} trials within`,
  );
  return result;
}

interface Client {
  readonly member: number;
  readonly kv: KV;
}

async function oneTrial(
  t: BenchTarget,
  clients: readonly Client[],
  ctx: RunContext,
  n: number,
  waits: LatencyHistogram,
): Promise<ClientFailoverTrial> {
  const value = valueOf(ctx.settings);
  const leader = await victim(t);
  // Times are taken on performance.now() and made relative to the kill at the end.
  const raw: { member: number; sent: number; done: number | undefined; error?: string }[] = [];
  let sending = true;
  const loops = clients.map(async (c, ci) => {
    for (let seq = 0; sending; seq++) {
      const rec: (typeof raw)[number] = {
        member: c.member,
        sent: performance.now(),
        done: undefined,
      };
      raw.push(rec);
      try {
        await c.kv.put(`cf/${n}/${ci}/${seq}`, value);
      } catch (err) {
        rec.error = (err as Error).name;
      }
      rec.done = performance.now();
    }
  });
  await sleep(300 + Math.random() * 700);
  const killedAt = performance.now();
  const killed = t.kill(leader);
  const rto = await probeUntilWritten(t, value, `cf/${n}/p`, killedAt);
  if (rto !== null)
    await sleep(Math.max(0, killedAt + rto + SETTLE_AFTER_RTO_MS - performance.now()));
  sending = false;
  const drainedAt = performance.now();
  await Promise.race([Promise.all(loops), sleep(DRAIN_TIMEOUT_MS)]);
  await killed;
  const requests: RequestRecord[] = raw.map((r) => {
    const end = r.done ?? drainedAt + DRAIN_TIMEOUT_MS;
    const error = r.done === undefined ? 'Unanswered' : r.error;
    waits.record(end - r.sent);
    return {
      member: r.member,
      sentMs: r.sent - killedAt,
      waitMs: end - r.sent,
      ...(error === undefined ? {} : { error }),
    };
  });
  await t.restart(leader);
  await caughtUp(t, leader);
  return summarizeTrial(requests, rto, leader);
}
