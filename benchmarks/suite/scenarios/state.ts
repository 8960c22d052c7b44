// Scenario 3: state latency. Open-loop puts on the cluster client at fixed
// fractions of the target's saturation throughput, while a watch on EVERY
// member (each through a client bound to that member) timestamps when each
// key becomes visible there. Per follower:
//   state latency  = visible on the follower − visible on the leader
//                    (leader commit → follower apply, as a client sees it);
//   put-to-visible = visible on the follower − the put was sent
//                    (the probe etcd users run).
// The same method on every target. Flotilla also measures state latency
// inside the leader (apply reports); that figure is recorded next to ours.
import { text, type KV, type Watch } from '@flotilla/client';
import { checkLoad, loadRecord, sleep, valueOf, type LoadRecord, type RunContext } from '../context.js';
import { LatencyHistogram, round, type LatencySummary } from '../histogram.js';
import { runLoad } from '../load.js';
import type { BenchTarget } from '../targets.js';

export interface FollowerStateLatency {
  readonly member: number;
  readonly stateLatencyMs: LatencySummary;
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

export async function stateLatency(t: BenchTarget, ctx: RunContext, saturation: number): Promise<StateResult> {
  const s = ctx.settings;
  const fractions = s.mode === 'smoke' ? [0.25, 0.5] : s.mode === 'quick' ? [0.1, 0.5, 1] : [0.1, 0.25, 0.5, 0.75, 1];
  const leader = await t.leaderIndex();
  const value = valueOf(s);
  const steps: StateStep[] = [];
  for (const [n, fraction] of fractions.entries()) {
    const rate = Math.max(1, Math.round(saturation * fraction));
    const prefix = `sl/${n}/`;
    ctx.progress.begin(`${t.name}: state latency at ${Math.round(fraction * 100)} % of saturation (${rate} puts/s, open loop)`);
    const members = t.urls.map(() => new Sightings());
    await Promise.all(members.map((m, i) => m.open(t.memberKv(i), prefix)));
    const sentAt = new Map<string, number>();
    const r = await runLoad({
      clients: 256, durationMs: s.durationS * 1000, rate,
      op: (i) => {
        const key = `${prefix}${i}`;
        sentAt.set(key, performance.now());
        return t.kv.put(key, value);
      },
      onProgress: (done) => ctx.progress.update(`${done} puts`),
    });
    checkLoad(ctx, `${t.name} state latency at ${rate}/s`, r);
    const deadline = performance.now() + DRAIN_MS;
    while (performance.now() < deadline && members.some((m) => m.seen.size < sentAt.size - r.errors)) await sleep(20);
    for (const m of members) m.close();
    const leaderSeen = members[leader]!.seen;
    const leaderVisible = new LatencyHistogram();
    for (const [key, at] of leaderSeen) {
      const sent = sentAt.get(key);
      if (sent !== undefined) leaderVisible.record(at - sent);
    }
    const followers: FollowerStateLatency[] = [];
    members.forEach((m, member) => {
      if (member === leader) return;
      const state = new LatencyHistogram();
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
        // Seen on the follower first (its watch event outran the leader's): 0.
        if (atLeader !== undefined) state.record(Math.max(0, at - atLeader));
      }
      followers.push({ member, stateLatencyMs: state.summary(), putToVisibleMs: visible.summary(), missing: Math.max(0, missing - r.errors) });
    });
    const load = loadRecord(r, 256, rate);
    steps.push({ fraction, rate, load, leaderPutToVisibleMs: leaderVisible.summary(), followers });
    ctx.progress.note(`${load.throughput} puts/s; state p99 ${followers.map((f) => f.stateLatencyMs.p99).join(' / ')} ms; ` +
      `put→visible p50 ${followers.map((f) => f.putToVisibleMs.p50).join(' / ')} ms`);
  }
  const nodeMetric = await flotillaStateMetric(t, leader);
  return { saturation: Math.round(saturation), leader, steps, ...(nodeMetric ? { nodeMetric } : {}) };
}

/** Flotilla's leader-side state latency (apply reports), cumulative since the leader took office. */
async function flotillaStateMetric(t: BenchTarget, leader: number): Promise<StateResult['nodeMetric']> {
  if (t.name === 'etcd') return undefined;
  try {
    const res = await fetch(`${t.urls[leader]}/flotilla/status`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { stateLatency?: Record<string, { p50Ms: number; p99Ms: number; count: number }> };
    return Object.fromEntries(Object.entries(body.stateLatency ?? {}).map(([id, q]) => [id, { p50Ms: round(q.p50Ms), p99Ms: round(q.p99Ms), count: q.count }]));
  } catch {
    return undefined;
  }
}
