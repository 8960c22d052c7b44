// One member's side of a busy-host phase: the host service's writes through
// its own member (open loop at a fixed rate: what fell due while the loop was
// blocked goes out right after, as a service's queued requests would), the
// host's synchronous stalls, and the leader changes this member sees.
import type { FlotillaNode } from '@flotilla/node';
import type { BlockKind, LeaderView, MemberReport, PhasePlan } from './busy-host-protocol.js';

/** A block starts about once a second (start to start) ... */
export const BLOCK_PERIOD_MS = 1_000;
/** ... give or take this much, drawn per block, so the members' blocks drift apart ... */
export const BLOCK_JITTER_MS = 100;
/** ... but the loop is free at least this long between blocks (B = 1000 would otherwise never let go). */
export const FREE_MS_MIN = 250;

const VALUE_BYTES = 256;
/** Keys per member: the key space is small, a put overwrites an older revision. */
const KEYS_PER_MEMBER = 1_000;
/** Writes in flight at once, per member; a due write waits for room (bounded memory if the cluster stalls). */
const INFLIGHT_MAX = 5_000;
const DRAIN_POLL_MS = 20;

type Measured = Omit<MemberReport, 'id' | 'pid'>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const errorName = (err: unknown): string => (err instanceof Error ? err.name : typeof err);

const parked = new Int32Array(new SharedArrayBuffer(4));

/** The host's own synchronous work (see BlockKind): nothing else runs on this thread meanwhile. */
export function blockLoop(ms: number, kind: BlockKind): number {
  const start = performance.now();
  if (kind === 'sleep') Atomics.wait(parked, 0, 0, ms);
  while (performance.now() - start < ms) {
    // spin (for 'sleep': only if the wait woke early)
  }
  return performance.now() - start;
}

/** Counts the (term, leader) pairs with a known leader seen after `start`. */
class LeaderWatch {
  private readonly seen = new Map<string, LeaderView>();
  private readonly off: () => void;
  constructor(
    node: FlotillaNode,
    readonly start: LeaderView,
  ) {
    this.off = node.on('leaderChanged', (e) => {
      if (e.leader === 0 || (e.term === start.term && e.leader === start.leader)) return;
      this.seen.set(`${e.term}:${e.leader}`, { term: e.term, leader: e.leader });
    });
  }
  stop(): LeaderView[] {
    this.off();
    return [...this.seen.values()];
  }
}

export async function runMemberPhase(
  node: FlotillaNode,
  id: number,
  plan: PhasePlan,
): Promise<Measured> {
  const enc = new TextEncoder();
  const value = new Uint8Array(VALUE_BYTES).fill(7);
  const latenciesMs: number[] = [];
  const failedByName: Record<string, number> = {};
  let issued = 0;
  let committed = 0;
  let measuredInflight = 0;
  let inflight = 0;
  let sent = 0;
  let windowOpen = false;

  const put = (): void => {
    const measured = windowOpen;
    const key = enc.encode(`busy/${id}/${sent++ % KEYS_PER_MEMBER}`);
    inflight++;
    if (measured) {
      issued++;
      measuredInflight++;
    }
    const t0 = performance.now();
    node.put({ key, value }).then(
      () => {
        inflight--;
        if (!measured) return;
        measuredInflight--;
        committed++;
        latenciesMs.push(round3(performance.now() - t0));
      },
      (err: unknown) => {
        inflight--;
        if (!measured) return;
        measuredInflight--;
        const name = errorName(err);
        failedByName[name] = (failedByName[name] ?? 0) + 1;
      },
    );
  };

  const intervalMs = 1000 / plan.rateHz;
  const loadStart = performance.now();
  const writer = setInterval(() => {
    const due = Math.floor((performance.now() - loadStart) / intervalMs) + 1;
    while (sent < due && inflight < INFLIGHT_MAX) put();
  }, intervalMs);

  let blocks = 0;
  let blockedMsTotal = 0;
  let blockTimer: NodeJS.Timeout | undefined;
  const block = (): void => {
    if (!windowOpen) return;
    const took = blockLoop(plan.blockMs, plan.blockKind);
    blocks++;
    blockedMsTotal += took;
    const jitter = (Math.random() * 2 - 1) * BLOCK_JITTER_MS;
    blockTimer = setTimeout(block, Math.max(FREE_MS_MIN, BLOCK_PERIOD_MS + jitter - took));
  };

  try {
    await sleep(plan.warmupMs);
    const s0 = node.status();
    const watch = new LeaderWatch(node, { term: s0.term, leader: s0.leader });
    const windowStart = performance.now();
    windowOpen = true;
    if (plan.blockMs > 0) blockTimer = setTimeout(block, plan.firstBlockAtMs);
    await sleep(plan.durationMs);
    windowOpen = false;
    const windowMs = performance.now() - windowStart;
    clearTimeout(blockTimer);
    clearInterval(writer);
    const drainEnd = performance.now() + plan.drainMs;
    while (measuredInflight > 0 && performance.now() < drainEnd) await sleep(DRAIN_POLL_MS);
    const s1 = node.status();
    return {
      issued,
      committed,
      failedByName: { ...failedByName },
      unsettled: measuredInflight,
      latenciesMs: [...latenciesMs],
      start: watch.start,
      leadersSeen: watch.stop(),
      termEnd: s1.term,
      leaderChangesMetric: s1.metrics.leaderChanges - s0.metrics.leaderChanges,
      blocks,
      blockedMsTotal: round3(blockedMsTotal),
      windowMs: round3(windowMs),
    };
  } finally {
    windowOpen = false;
    clearTimeout(blockTimer);
    clearInterval(writer);
  }
}
