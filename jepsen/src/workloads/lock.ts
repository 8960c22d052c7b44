// lock: one contender per node takes a lease-based lock (the client's Lock
// recipe, etcd's algorithm), holds it briefly and releases it, recording each
// holding window as the holder saw it (from acquire's return to the call of
// release). A lease lock cannot exclude a holder that stalls past its TTL, so
// overlapping windows are reported as findings; the guarantee checked is the
// documented remedy, the fencing token: every hold has its own revision, and
// a hold that began after another was acquired has a higher one.
import { Lock, type KV } from '@flotilla/client';
import {
  errorText,
  pause,
  type RunContext,
  type TimelineOp,
  type Workload,
  type WorkloadVerdict,
} from './workload.js';

interface Hold {
  readonly lane: string;
  readonly invokeMs: number;
  acquiredMs: number;
  releasedMs: number;
  revision: number;
  outcome: 'ok' | 'fail' | 'unknown';
  error?: string;
}

const LOCK_TTL_S = 2;
const ACQUIRE_TIMEOUT_MS = 4_000;

export class LockWorkload implements Workload {
  readonly name = 'lock';
  readonly #holds: Hold[] = [];

  async run(ctx: RunContext): Promise<void> {
    await Promise.all(
      Array.from({ length: ctx.target.size }, async (_, node) => {
        const rng = ctx.rng.fork();
        const lane = `${ctx.target.names[node]}/lock`;
        const kv: KV = ctx.target.client(node, { requestTimeoutMs: ctx.requestTimeoutMs });
        try {
          while (ctx.now() < ctx.endMs) {
            const hold: Hold = {
              lane,
              invokeMs: ctx.now(),
              acquiredMs: Infinity,
              releasedMs: Infinity,
              revision: 0,
              outcome: 'unknown',
            };
            this.#holds.push(hold);
            const lock = new Lock(kv, 'lock/a', { ttlSeconds: LOCK_TTL_S });
            try {
              const h = await lock.acquire({ signal: AbortSignal.timeout(ACQUIRE_TIMEOUT_MS) });
              hold.acquiredMs = ctx.now();
              hold.revision = h.revision;
              await pause(rng.int(20, 200));
              hold.releasedMs = ctx.now();
              hold.outcome = 'ok';
            } catch (err) {
              hold.outcome = 'fail';
              hold.releasedMs = ctx.now(); // when it gave up
              hold.error = errorText(err);
            }
            // A failed delete leaves the session open; the second call only ends it (revokes the lease).
            await lock.release().catch(() => lock.release().catch(() => undefined));
            await pause(rng.int(10, 100));
          }
        } finally {
          await kv.close().catch(() => undefined);
        }
      }),
    );
  }

  async final(): Promise<void> {
    // Nothing to read: the windows and tokens were recorded as they happened.
  }

  check(): WorkloadVerdict {
    const held = this.#holds
      .filter((h) => h.outcome === 'ok')
      .sort((a, b) => a.acquiredMs - b.acquiredMs);
    const anomalies: string[] = [];
    const findings: string[] = [];
    const byRevision = new Map<number, Hold>();
    for (const h of held) {
      const other = byRevision.get(h.revision);
      if (other)
        anomalies.push(
          `two holds share fencing token ${h.revision} (${other.lane} at ${other.acquiredMs.toFixed(0)} ms, ${h.lane} at ${h.acquiredMs.toFixed(0)} ms)`,
        );
      byRevision.set(h.revision, h);
    }
    let overlaps = 0;
    for (let i = 0; i < held.length; i++) {
      const a = held[i] as Hold;
      for (let j = i + 1; j < held.length; j++) {
        const b = held[j] as Hold;
        // b asked for the lock after a already held it: its token must be higher.
        if (b.invokeMs > a.acquiredMs && b.revision < a.revision)
          anomalies.push(
            `fencing token went backwards: ${b.lane} asked at ${b.invokeMs.toFixed(0)} ms, after ${a.lane} held token ${a.revision}, and got ${b.revision}`,
          );
        if (b.acquiredMs < a.releasedMs) {
          overlaps++;
          if (overlaps <= 20)
            findings.push(
              `${a.lane} (token ${a.revision}) held until ${a.releasedMs.toFixed(0)} ms while ${b.lane} (token ${b.revision}) held from ${b.acquiredMs.toFixed(0)} ms; a resource fenced by token rejects the older holder`,
            );
        }
      }
    }
    return {
      workload: this.name,
      valid: anomalies.length === 0,
      stats: {
        attempts: this.#holds.length,
        held: held.length,
        failed: this.#holds.filter((h) => h.outcome === 'fail').length,
        overlaps,
      },
      anomalies: anomalies.slice(0, 50),
      findings,
    };
  }

  timeline(): TimelineOp[] {
    return this.#holds.map((h, i) => ({
      id: `l${i}`,
      lane: h.lane,
      invokeMs: h.invokeMs,
      completeMs: h.releasedMs,
      outcome: h.outcome,
      label:
        h.outcome === 'ok'
          ? `held lock/a with token ${h.revision} from ${h.acquiredMs.toFixed(0)} to ${h.releasedMs.toFixed(0)} ms`
          : `acquire failed: ${(h.error ?? '').slice(0, 100)}`,
    }));
  }
}
