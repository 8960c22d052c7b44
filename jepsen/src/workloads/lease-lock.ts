// lease-lock: a lock taken directly through a LEASE, the path under the
// client's Lock recipe, without its queue: each contender grants a lease,
// creates the lock key attached to it if absent (one txn: CREATE = 0 → put
// with the lease), keeps the lease alive while it holds the lock (often
// longer than the TTL, so the hold lives on keep-alives), then releases
// (deletes the key if it is still its own, revokes the lease). A contender
// that finds the key taken revokes its lease and tries again later.
// The checker (lease-lock-check.ts) flags two holders at once. The workload
// asks the runner for a kill-leader window: a new leader must extend the
// leases the old one was keeping alive, not expire them.
import { compare, op, type KV } from '@flotilla/client';
import {
  errorText,
  pause,
  type RunContext,
  type TimelineOp,
  type Workload,
  type WorkloadVerdict,
} from './workload.js';
import { checkLeaseLock, safeEndMs, type LeaseHold } from './lease-lock-check.js';
import type { FaultKind } from '../nemesis/faults.js';

const KEY = 'lease-lock/a';
/** Asked for; the store may grant more (etcd's minimum TTL is about 1.5 election timeouts). */
const TTL_S = 2;
/** A quarter of the TTL: a keep-alive may fail twice and the lease still stands. */
const KEEPALIVE_EVERY_MS = 500;
const HOLD_MS_MIN = 200;
const HOLD_MS_MAX = 3_000;

export class LeaseLockWorkload implements Workload {
  readonly name = 'lease-lock';
  readonly requiredFaults: readonly FaultKind[] = ['kill-leader'];
  readonly #holds: LeaseHold[] = [];

  async run(ctx: RunContext): Promise<void> {
    const contenders: Promise<void>[] = [];
    for (let node = 0; node < ctx.target.size; node++) {
      for (let w = 0; w < ctx.clientsPerNode; w++) {
        const rng = ctx.rng.fork();
        const lane = `${ctx.target.names[node]}/ll${w}`;
        contenders.push(
          (async () => {
            const kv = ctx.target.client(node, { requestTimeoutMs: ctx.requestTimeoutMs });
            try {
              while (ctx.now() < ctx.endMs) {
                await this.#attempt(ctx, kv, lane, rng.int(HOLD_MS_MIN, HOLD_MS_MAX));
                await pause(rng.int(20, 150));
              }
            } finally {
              await kv.close().catch(() => undefined);
            }
          })(),
        );
      }
    }
    await Promise.all(contenders);
  }

  async #attempt(ctx: RunContext, kv: KV, lane: string, holdMs: number): Promise<void> {
    const hold: LeaseHold = {
      lane,
      invokeMs: ctx.now(),
      acquiredMs: Infinity,
      releaseMs: Infinity,
      renewals: [],
      outcome: 'fail',
    };
    this.#holds.push(hold);
    let leaseId: number;
    try {
      const sentMs = ctx.now();
      const lease = await kv.leaseGrant(TTL_S);
      leaseId = lease.id;
      hold.leaseId = lease.id;
      hold.renewals.push({ sentMs, ackMs: ctx.now(), ttlS: lease.ttlSeconds });
    } catch (err) {
      hold.error = errorText(err); // a grant that may have applied only leaves a lease to expire
      return;
    }
    const mine = `${lane}@${hold.invokeMs.toFixed(0)}`;
    try {
      const res = await kv.txn({
        compare: [compare(KEY, 'CREATE', '=', 0)],
        success: [op.put(KEY, mine, { lease: leaseId })],
        failure: [],
      });
      if (!res.succeeded) {
        hold.outcome = 'busy';
        await kv.leaseRevoke(leaseId).catch(() => undefined);
        return;
      }
      hold.acquiredMs = ctx.now();
      hold.outcome = 'held';
    } catch (err) {
      // It may hold the lock without knowing: revoking the lease deletes the key if so.
      hold.outcome = 'unknown';
      hold.error = errorText(err);
      await kv.leaseRevoke(leaseId).catch(() => undefined);
      return;
    }
    await this.#keepHolding(ctx, kv, hold, leaseId, hold.acquiredMs + holdMs);
    hold.releaseMs = ctx.now();
    // Delete only our own key (after a lost lease another holder's may be there), then end the lease.
    await kv
      .txn({ compare: [compare(KEY, 'VALUE', '=', mine)], success: [op.delete(KEY)], failure: [] })
      .catch(() => undefined);
    await kv.leaseRevoke(leaseId).catch(() => undefined);
  }

  /** Keeps the lease alive until `untilMs`, or until the holder learns or must assume the lease is gone. */
  async #keepHolding(
    ctx: RunContext,
    kv: KV,
    hold: LeaseHold,
    leaseId: number,
    untilMs: number,
  ): Promise<void> {
    let lastSentMs = hold.renewals[0]!.sentMs;
    for (;;) {
      const next = Math.min(untilMs, lastSentMs + KEEPALIVE_EVERY_MS);
      if (next > ctx.now()) await pause(next - ctx.now());
      if (ctx.now() >= untilMs) return;
      // Past the guaranteed end of its lease a holder must stop acting on the lock.
      if (ctx.now() >= safeEndMs(hold)) {
        hold.lostMs = ctx.now();
        return;
      }
      lastSentMs = ctx.now();
      try {
        const r = await kv.leaseKeepAlive(leaseId);
        if (r.ttlSeconds <= 0) {
          hold.lostMs = ctx.now();
          return;
        }
        hold.renewals.push({ sentMs: lastSentMs, ackMs: ctx.now(), ttlS: r.ttlSeconds });
      } catch (err) {
        if (err instanceof Error && err.name === 'LeaseNotFoundError') {
          hold.lostMs = ctx.now();
          return;
        }
        // Not renewed this time; the next keep-alive may be.
      }
    }
  }

  async final(): Promise<void> {
    // Nothing to read: holds were recorded as they happened.
  }

  check(): WorkloadVerdict {
    const c = checkLeaseLock(this.#holds);
    const count = (o: LeaseHold['outcome']): number =>
      this.#holds.filter((h) => h.outcome === o).length;
    const held = this.#holds.filter((h) => h.outcome === 'held');
    return {
      workload: this.name,
      valid: c.anomalies.length === 0,
      stats: {
        attempts: this.#holds.length,
        held: held.length,
        busy: count('busy'),
        failed: count('fail'),
        unknown: count('unknown'),
        keepAlives: held.reduce((n, h) => n + h.renewals.length - 1, 0),
        heldPastFirstTtl: held.filter(
          (h) => h.releaseMs > h.renewals[0]!.sentMs + h.renewals[0]!.ttlS * 1000,
        ).length,
        lost: held.filter((h) => h.lostMs !== undefined).length,
        overlaps: c.overlaps,
        ackOnlyOverlaps: c.ackOnlyOverlaps,
      },
      anomalies: c.anomalies,
      findings: c.findings,
    };
  }

  timeline(): TimelineOp[] {
    return this.#holds.map((h, i) => ({
      id: `ll${i}`,
      lane: h.lane,
      invokeMs: h.invokeMs,
      completeMs:
        h.outcome === 'held'
          ? Math.min(h.releaseMs, safeEndMs(h))
          : h.outcome === 'unknown'
            ? Infinity
            : h.invokeMs,
      outcome:
        h.outcome === 'held' || h.outcome === 'busy'
          ? 'ok'
          : h.outcome === 'unknown'
            ? 'unknown'
            : 'fail',
      label:
        h.outcome === 'held'
          ? `held ${KEY} (lease ${h.leaseId}) from ${h.acquiredMs.toFixed(0)} to ${Math.min(h.releaseMs, safeEndMs(h)).toFixed(0)} ms, ${h.renewals.length - 1} keep-alives${h.lostMs !== undefined ? ', lease lost' : ''}`
          : h.outcome === 'busy'
            ? `${KEY} was taken`
            : `${h.outcome}: ${(h.error ?? '').slice(0, 100)}`,
    }));
  }
}
