// The lease workloads without processes: register-lease and lease-lock run on
// fake timers against an in-memory store (fake-store.ts). Each checker passes
// on the sound store and fails on one broken the way a faulty cluster would
// (stale lease reads; keep-alives that do not renew); the lease-lock checker
// is also fed hand-written holds. The schedule gives lease-lock its kill-leader.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scheduleFaults, resolveNemeses } from '../src/nemesis/faults.js';
import { seededRng } from '../src/rng.js';
import { checkLeaseLock, type LeaseHold } from '../src/workloads/lease-lock-check.js';
import { makeWorkloads } from '../src/workloads/registry.js';
import type { RunContext, Workload } from '../src/workloads/workload.js';
import { FakeStore, type FakeStoreFaults } from './fake-store.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Runs one workload for `runMs` of fake time on a fresh store; returns the workload (checked by the caller) and the store. */
async function runOnFakeStore(
  name: string,
  faults: FakeStoreFaults,
  runMs: number,
  seed = 3,
): Promise<{ w: Workload; store: FakeStore }> {
  const t0 = Date.now();
  const now = (): number => Date.now() - t0;
  const store = new FakeStore(now, faults);
  const [w] = makeWorkloads([name]);
  const ctx: RunContext = {
    target: store.target(3),
    rng: seededRng(seed),
    now,
    endMs: runMs,
    requestTimeoutMs: 1_000,
    clientsPerNode: 2,
    unsafeReads: false,
  };
  const done = w!.run(ctx);
  await vi.advanceTimersByTimeAsync(runMs + 5_000);
  await done;
  const final = w!.final(ctx);
  await vi.advanceTimersByTimeAsync(1_000);
  await final;
  return { w: w!, store };
}

describe('register-lease', () => {
  it('reads with lease consistency and is linearizable on a sound store', async () => {
    const { w, store } = await runOnFakeStore('register-lease', {}, 3_000);
    const v = w.check();
    expect(v.workload).toBe('register-lease');
    expect(v.valid).toBe(true);
    expect(v.stats['ok']).toBeGreaterThan(100);
    expect(store.consistencies.length).toBeGreaterThan(50);
    expect(new Set(store.consistencies)).toEqual(new Set(['lease']));
  });

  it('is INVALID when lease reads are stale, with a read as the culprit', async () => {
    const { w } = await runOnFakeStore('register-lease', { staleLeaseReads: true }, 3_000);
    const v = w.check();
    expect(v.valid).toBe(false);
    expect(v.failingOps?.find((o) => o.culprit)?.op).toMatch(/^read /);
  });
});

describe('lease-lock', () => {
  it('holds through keep-alives past the TTL and never has two holders on a sound store', async () => {
    const { w } = await runOnFakeStore('lease-lock', {}, 20_000);
    const v = w.check();
    expect(v.anomalies).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.stats['held']).toBeGreaterThan(5);
    expect(v.stats['busy']).toBeGreaterThan(0);
    expect(v.stats['keepAlives']).toBeGreaterThan(5);
    expect(v.stats['heldPastFirstTtl']).toBeGreaterThan(0);
  });

  it('is INVALID when keep-alives do not renew the lease (two holders at once)', async () => {
    const { w } = await runOnFakeStore('lease-lock', { keepAliveDoesNotRenew: true }, 20_000);
    const v = w.check();
    expect(v.valid).toBe(false);
    expect(v.anomalies[0]).toMatch(/^two holders at once: /);
  });
});

const hold = (
  lane: string,
  acquiredMs: number,
  releaseMs: number,
  renewals: [number, number][],
  ttlS = 2,
): LeaseHold => ({
  lane,
  invokeMs: acquiredMs - 5,
  acquiredMs,
  releaseMs,
  outcome: 'held',
  renewals: renewals.map(([sentMs, ackMs]) => ({ sentMs, ackMs, ttlS })),
});

describe('lease-lock checker on hand-written holds', () => {
  it("flags a second holder that acquired while the first one's lease was guaranteed", () => {
    const c = checkLeaseLock([
      hold('a', 0, 1_500, [[-10, 0]]),
      hold('b', 1_000, 2_000, [[900, 950]]),
    ]);
    expect(c.overlaps).toBe(1);
    expect(c.anomalies[0]).toContain('two holders at once: a held from 0 ms');
  });

  it('accepts holders one after the other, and a holder whose lease ran out before the next one acquired', () => {
    expect(
      checkLeaseLock([hold('a', 0, 1_000, [[-10, 0]]), hold('b', 1_001, 2_000, [[990, 1_000]])])
        .anomalies,
    ).toEqual([]);
    // a kept "holding" until 5 s without a renewal after 500 ms: its lease was guaranteed only until 2.5 s.
    const c = checkLeaseLock([
      hold('a', 0, 5_000, [
        [-10, 0],
        [500, 510],
      ]),
      hold('b', 2_600, 3_000, [[2_550, 2_590]]),
    ]);
    expect(c.anomalies).toEqual([]);
  });

  it('reports an overlap only under "last keep-alive answer + TTL" as a finding, not a violation', () => {
    // a's keep-alive was sent at 500 and answered at 900: guaranteed until 500 + 2,000 / 1.05 ≈ 2,405 (a leader
    // clock up to LEASE_CLOCK_DRIFT_MAX fast), counted on until 2,900.
    const c = checkLeaseLock([
      hold('a', 0, 5_000, [
        [-10, 0],
        [500, 900],
      ]),
      hold('b', 2_700, 3_000, [[2_650, 2_690]]),
    ]);
    expect(c.anomalies).toEqual([]);
    expect(c.ackOnlyOverlaps).toBe(1);
    expect(c.findings[0]).toContain('guaranteed only until 2405 ms');
  });

  it('allows for a leader clock running fast within the drift bound: a second holder after sent + TTL ÷ 1.05 is no violation', () => {
    const after = checkLeaseLock([
      hold('a', 0, 5_000, [[500, 900]]),
      hold('b', 2_420, 3_000, [[2_400, 2_410]]),
    ]);
    expect(after.anomalies).toEqual([]);
    const before = checkLeaseLock([
      hold('a', 0, 5_000, [[500, 900]]),
      hold('b', 2_390, 3_000, [[2_380, 2_385]]),
    ]);
    expect(before.overlaps).toBe(1);
  });

  it('ignores attempts that never held (busy, failed, unknown)', () => {
    const busy: LeaseHold = { ...hold('b', Infinity, Infinity, [[100, 110]]), outcome: 'busy' };
    const unknown: LeaseHold = {
      ...hold('c', Infinity, Infinity, [[100, 110]]),
      outcome: 'unknown',
    };
    expect(checkLeaseLock([hold('a', 0, 1_500, [[-10, 0]]), busy, unknown]).overlaps).toBe(0);
  });
});

describe('required faults in the schedule', () => {
  const kinds = resolveNemeses(['partition', 'kill', 'pause']);
  const draw = (seed: number, required?: ['kill-leader']) =>
    scheduleFaults(seededRng(seed), {
      kinds,
      durationMs: 60_000,
      ...(required ? { required } : {}),
    });

  it('puts a kill-leader window into every schedule that asks for one, changing at most one window', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const plain = draw(seed);
      const withKill = draw(seed, ['kill-leader']);
      expect(withKill.some((w) => w.kind === 'kill-leader')).toBe(true);
      expect(withKill.map((w) => [w.startMs, w.endMs, w.pick])).toEqual(
        plain.map((w) => [w.startMs, w.endMs, w.pick]),
      );
      expect(withKill.filter((w, i) => w.kind !== plain[i]!.kind).length).toBeLessThanOrEqual(1);
    }
  });

  it('leaves the schedule alone when the kind is not among the nemeses', () => {
    const partitions = resolveNemeses(['partition']);
    const a = scheduleFaults(seededRng(9), { kinds: partitions, durationMs: 60_000 });
    expect(
      scheduleFaults(seededRng(9), {
        kinds: partitions,
        durationMs: 60_000,
        required: ['kill-leader'],
      }),
    ).toEqual(a);
  });
});
