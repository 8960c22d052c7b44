// Scenario 3: state latency. Open-loop puts on the cluster client at fixed
// fractions of the target's saturation throughput, while a watch on EVERY
// member (each through a client bound to that member) timestamps when each
// key becomes visible there. Per follower:
//   state latency  = the leader learned the entry committed → the follower
//                    applied it. Only the leader can time that in one clock
//                    (Flotilla does: apply reports, packages/node metrics.ts);
//                    read per step from its /metrics histogram. etcd exposes
//                    nothing like it: n/a.
//   watch skew     = visible on the follower − visible on the leader, signed:
//                    the leader's own apply and both watch streams are in it,
//                    so the follower's event often comes first (negative). Not
//                    clamped; how often the follower was first is counted.
//   put-to-visible = visible on the follower − the put was sent
//                    (the probe etcd users run).
// The same watch method on every target.
import { text, type KV, type Watch } from '@flotilla/client';
import {
  checkLoad,
  loadRecord,
  sleep,
  valueOf,
  type LoadRecord,
  type RunContext,
} from '../context.js';
import { LatencyHistogram, round, type LatencySummary } from '../histogram.js';
import { runLoad } from '../load.js';
import {
  COMMIT,
  scrapeStateBuckets,
  stepStateLatency,
  type StepStateLatency,
} from '../state-metric.js';
import type { BenchTarget } from '../targets.js';

/** A signed distribution (exact percentiles of the samples). */
export interface SignedSummary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Samples below 0: here, keys the follower's watch saw before the leader's. */
  readonly negative: number;
}

export function signedSummary(values: number[]): SignedSummary {
  const v = Float64Array.from(values).sort();
  const at = (q: number): number =>
    v.length === 0 ? 0 : round(v[Math.min(v.length - 1, Math.floor(q * v.length))]!);
  let negative = 0;
  for (const x of v) if (x < 0) negative++;
  return {
    count: v.length,
    min: at(0),
    p50: at(0.5),
    p99: at(0.99),
    max: v.length === 0 ? 0 : round(v[v.length - 1]!),
    negative,
  };
}

export interface FollowerStateLatency {
  readonly member: number;
  /** Visible on this follower − visible on the leader (watch events), signed. */
  readonly watchSkewMs: SignedSummary;
  readonly putToVisibleMs: LatencySummary;
  /** Keys written in the step never seen on this member within the drain time. */
  readonly missing: number;
}

export interface StateStep {
  readonly fraction: number;
  readonly rate: number;
  readonly load: LoadRecord;
  readonly leaderPutToVisibleMs: LatencySummary;
  readonly followers: readonly FollowerStateLatency[];
  /** Flotilla: the leader's state latency in this step, per follower name (from /metrics; absent for etcd). */
  readonly stateLatencyMs?: Readonly<Record<string, StepStateLatency>>;
  /** Flotilla: the leader's commit latency in this step (accepted by the leader → applied there), from /metrics. */
  readonly leaderCommitMs?: StepStateLatency;
}

export interface StateResult {
  readonly saturation: number;
  readonly leader: number;
  readonly steps: readonly StateStep[];
  /** Flotilla's own leader-side measurement over the whole scenario (cumulative), if available. */
  readonly nodeMetric?: Record<string, { p50Ms: number; p99Ms: number; count: number }>;
}

const DRAIN_MS = 3_000;

/** Times at which keys became visible on one member. */
class Sightings {
  readonly seen = new Map<string, number>();
  private watch: Watch | undefined;

  async open(kv: KV, prefix: string): Promise<void> {
    const w = kv.watch({ prefix });
    this.watch = w;
    await w.ready();
    void (async () => {
      for await (const batch of w) {
        const now = performance.now();
        for (const e of batch.events) this.seen.set(text(e.kv.key), now);
      }
    })().catch(() => undefined);
  }

  close(): void {
    this.watch?.cancel();
  }
}

export async function stateLatency(
  t: BenchTarget,
  ctx: RunContext,
  saturation: number,
): Promise<StateResult> {
  const s = ctx.settings;
  const fractions =
    s.mode === 'smoke'
      ? [0.25, 0.5]
      : s.mode === 'quick'
        ? [0.1, 0.5, 1]
        : [0.1, 0.25, 0.5, 0.75, 1];
  const leader = await t.leaderIndex();
  const value = valueOf(s);
  const steps: StateStep[] = [];
  for (const [n, fraction] of fractions.entries()) {
    const rate = Math.max(1, Math.round(saturation * fraction));
    const prefix = `sl/${n}/`;
    ctx.progress.begin(
      `${t.name}: state latency at ${Math.round(fraction * 100)} % of saturation (${rate} puts/s, open loop)`,
    );
    const members = t.urls.map(() => new Sightings());
    await Promise.all(members.map((m, i) => m.open(t.memberKv(i), prefix)));
    const sentAt = new Map<string, number>();
    const bucketsBefore = t.name === 'etcd' ? undefined : await scrapeStateBuckets(t.urls[leader]!);
    const r = await runLoad({
      clients: 256,
      durationMs: s.durationS * 1000,
      rate,
      op: (i) => {
        const key = `${prefix}${i}`;
        sentAt.set(key, performance.now());
        return t.kv.put(key, value);
      },
      onProgress: (done) => ctx.progress.update(`${done} puts`),
    });
    checkLoad(ctx, `${t.name} state latency at ${rate}/s`, r);
    const deadline = performance.now() + DRAIN_MS;
    while (
      performance.now() < deadline &&
      members.some((m) => m.seen.size < sentAt.size - r.errors)
    )
      await sleep(20);
    for (const m of members) m.close();
    const bucketsAfter = t.name === 'etcd' ? undefined : await scrapeStateBuckets(t.urls[leader]!);
    const { [COMMIT]: leaderCommitMs, ...stateLatencyMs } =
      bucketsBefore && bucketsAfter ? stepStateLatency(bucketsBefore, bucketsAfter) : {};
    const leaderSeen = members[leader]!.seen;
    const leaderVisible = new LatencyHistogram();
    for (const [key, at] of leaderSeen) {
      const sent = sentAt.get(key);
      if (sent !== undefined) leaderVisible.record(at - sent);
    }
    const followers: FollowerStateLatency[] = [];
    members.forEach((m, member) => {
      if (member === leader) return;
      const skew: number[] = [];
      const visible = new LatencyHistogram();
      let missing = 0;
      for (const [key, sent] of sentAt) {
        const at = m.seen.get(key);
        if (at === undefined) {
          missing++;
          continue;
        }
        visible.record(at - sent);
        const atLeader = leaderSeen.get(key);
        if (atLeader !== undefined) skew.push(at - atLeader);
      }
      followers.push({
        member,
        watchSkewMs: signedSummary(skew),
        putToVisibleMs: visible.summary(),
        missing: Math.max(0, missing - r.errors),
      });
    });
    const load = loadRecord(r, 256, rate);
    steps.push({
      fraction,
      rate,
      load,
      leaderPutToVisibleMs: leaderVisible.summary(),
      followers,
      ...(bucketsAfter ? { stateLatencyMs } : {}),
      ...(leaderCommitMs ? { leaderCommitMs } : {}),
    });
    const stateP99 = bucketsAfter
      ? Object.values(stateLatencyMs)
          .map((q) => q.p99)
          .join(' / ')
      : 'n/a';
    ctx.progress.note(
      `${load.throughput} puts/s; state p99 ${stateP99} ms; watch skew p50 ${followers.map((f) => f.watchSkewMs.p50).join(' / ')} ms; ` +
        `put→visible p50 ${followers.map((f) => f.putToVisibleMs.p50).join(' / ')} ms` +
        (leaderCommitMs ? `; commit inside the leader p50 ${leaderCommitMs.p50} ms` : ''),
    );
  }
  const nodeMetric = await flotillaStateMetric(t, leader);
  return {
    saturation: Math.round(saturation),
    leader,
    steps,
    ...(nodeMetric ? { nodeMetric } : {}),
  };
}

/** Flotilla's leader-side state latency (apply reports), cumulative since the leader took office. */
async function flotillaStateMetric(
  t: BenchTarget,
  leader: number,
): Promise<StateResult['nodeMetric']> {
  if (t.name === 'etcd') return undefined;
  try {
    const res = await fetch(`${t.urls[leader]}/flotilla/status`, {
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await res.json()) as {
      stateLatency?: Record<string, { p50Ms: number; p99Ms: number; count: number }>;
    };
    return Object.fromEntries(
      Object.entries(body.stateLatency ?? {}).map(([id, q]) => [
        id,
        { p50Ms: round(q.p50Ms), p99Ms: round(q.p99Ms), count: q.count },
      ]),
    );
  } catch {
    return undefined;
  }
}
