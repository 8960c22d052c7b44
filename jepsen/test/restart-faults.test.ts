// The clock, slow-disk and failing-disk nemeses without processes: the flags they pass are
// ones `flotilla start` accepts with the intended values, and the nemesis stops
// the victim, starts it with the flags for the window and plainly at heal.
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Network } from '../src/cluster/network.js';
import type { Target } from '../src/cluster/target.js';
import { resolveNemeses, victims } from '../src/nemesis/faults.js';
import { Nemesis } from '../src/nemesis/nemesis.js';
import { ClockBeyondLeaseBoundError, runTest } from '../src/run.js';
import { LEASE_CLOCK_DRIFT_MAX } from '@flotilla/node';
import {
  CLOCK_SKEWS,
  CLOCK_SKEWS_EXTREME,
  FAIL_WRITES_AFTER_MS,
  FSYNC_DELAYS_MS,
  isRestartFault,
  restartFault,
} from '../src/nemesis/restart-faults.js';
import { TEST_FAULT_FLAGS, testFaultsFromFlags } from '../../packages/server/src/cli/config.js';

/** Parses fault args the way `flotilla start` does (strict parseArgs, string flags). */
function asCliParses(args: readonly string[]): ReturnType<typeof testFaultsFromFlags> {
  const options = Object.fromEntries(TEST_FAULT_FLAGS.map((f) => [f, { type: 'string' as const }]));
  const { values } = parseArgs({ args: [...args], options, strict: true });
  return testFaultsFromFlags(values as Record<string, string | undefined>);
}

describe('restart fault flags', () => {
  it('every clock skew reaches the CLI as the same rate and offset (negative offsets included)', () => {
    const seen = new Set<string>();
    for (let pick = 0; pick < 2_000; pick += 7) {
      const f = restartFault('clock-skew-one', pick);
      const parsed = asCliParses(f.args);
      expect(CLOCK_SKEWS).toContainEqual(parsed.testClockSkew);
      seen.add(JSON.stringify(parsed.testClockSkew));
    }
    expect(seen.size).toBe(CLOCK_SKEWS.length);
  });

  it('slow-disk passes one of the fsync delays; both stop signals occur across picks', () => {
    const signals = new Set<string>();
    for (let pick = 0; pick < 2_000; pick += 7) {
      const f = restartFault('slow-disk-leader', pick);
      expect(FSYNC_DELAYS_MS).toContain(asCliParses(f.args).testFsyncDelayMs);
      signals.add(f.stopSignal);
    }
    expect([...signals].sort()).toEqual(['SIGKILL', 'SIGTERM']);
  });

  it('failing-disk passes each time-to-failure the CLI accepts; both stop signals occur across picks', () => {
    const signals = new Set<string>();
    const afters = new Set<number | undefined>();
    for (let pick = 0; pick < 2_000; pick += 7) {
      const f = restartFault('failing-disk-one', pick);
      afters.add(asCliParses(f.args).testFailWritesAfterMs);
      signals.add(f.stopSignal);
    }
    expect(afters).toEqual(new Set(FAIL_WRITES_AFTER_MS));
    expect([...signals].sort()).toEqual(['SIGKILL', 'SIGTERM']);
  });

  it('the clock skews stay within the drift the lease assumes; clock-extreme ones go far beyond it', () => {
    const rates = (kind: 'clock-skew-one' | 'clock-extreme-one') =>
      Array.from(
        { length: 64 },
        (_, i) => asCliParses(restartFault(kind, i << 5).args).testClockSkew!.rate,
      );
    expect(
      rates('clock-skew-one').every((r) => Math.abs(r - 1) <= LEASE_CLOCK_DRIFT_MAX + 1e-9),
    ).toBe(true);
    expect(rates('clock-extreme-one').every((r) => Math.abs(r - 1) > LEASE_CLOCK_DRIFT_MAX)).toBe(
      true,
    );
    expect(new Set(rates('clock-extreme-one'))).toEqual(
      new Set(CLOCK_SKEWS_EXTREME.map((s) => s.rate)),
    );
  });

  it('the clock and slow-disk groups name restart faults; -leader hits the leader', () => {
    const kinds = resolveNemeses(['clock', 'clock-extreme', 'slow-disk', 'failing-disk']);
    expect(kinds).toEqual([
      'clock-skew-one',
      'clock-skew-leader',
      'clock-extreme-one',
      'clock-extreme-leader',
      'slow-disk-one',
      'slow-disk-leader',
      'failing-disk-one',
      'failing-disk-leader',
    ]);
    expect(kinds.every(isRestartFault)).toBe(true);
    expect(resolveNemeses(['partition', 'kill', 'pause']).some(isRestartFault)).toBe(false);
    expect(victims('clock-skew-leader', 5, 11, 3)).toEqual([3]);
    expect(victims('slow-disk-one', 5, 11, 3)).toHaveLength(1);
    expect(victims('failing-disk-leader', 5, 11, 3)).toEqual([3]);
    expect(victims('failing-disk-one', 5, 11, 3)).toHaveLength(1);
  });
});

/** A target that records starts and signals; no node answers status(), so the nemesis picks the victim from the window. */
function recordingTarget(size: number): Target & { events: string[] } {
  const running = Array.from({ length: size }, () => true);
  const events: string[] = [];
  return {
    kind: 'flotilla',
    clientKind: 'http',
    size,
    network: new Network(size),
    names: Array.from({ length: size }, (_, i) => `n${i + 1}`),
    memberIndex: new Map(),
    events,
    client: () => {
      throw new Error('no client in this test');
    },
    start: (node, testArgs = []) => {
      running[node] = true;
      events.push(`start n${node + 1}${testArgs.length ? ` ${testArgs.join(' ')}` : ''}`);
    },
    signal: async (node, signal) => {
      running[node] = false;
      events.push(`${signal} n${node + 1}`);
    },
    // Reported as not running so status() is never asked (no processes here).
    isRunning: () => false,
    logFile: () => '/dev/null',
    close: async () => undefined,
  };
}

describe('restart fault nemesis', () => {
  it('restarts the victim with the fault flags for the window and without them at heal', async () => {
    const target = recordingTarget(3);
    const pick = 2 << 5; // SIGTERM, CLOCK_SKEWS[2]
    const nemesis = new Nemesis(target, () => 0);
    await nemesis.run([{ kind: 'clock-skew-leader', startMs: 0, endMs: 0, pick }], () => false);
    const victim = `n${(pick % 3) + 1}`;
    const skew = CLOCK_SKEWS[2];
    expect(target.events).toEqual([
      `SIGTERM ${victim}`,
      `start ${victim} --test-clock-rate ${skew?.rate} --test-clock-offset-ms=${skew?.offsetMs}`,
      `SIGTERM ${victim}`,
      `start ${victim}`,
    ]);
    expect(nemesis.applied[0]?.detail).toMatch(/^SIGTERM \+ restart n\d with clock rate/);
    target.events.length = 0;
    await nemesis.heal();
    expect(target.events).toEqual([]);
    await target.network.close();
  });
});

describe('clock-extreme with lease workloads', () => {
  it('is refused before anything starts: lease reads and expiry are promised only within the drift bound', async () => {
    const run = (workloads: string[]) =>
      runTest({
        target: 'flotilla',
        nodes: 3,
        workloads,
        nemeses: ['clock-extreme'],
        timeS: 1,
        seed: 1,
        outDir: '/nonexistent/clock-extreme-refused',
      });
    await expect(run(['register', 'lease-lock'])).rejects.toBeInstanceOf(
      ClockBeyondLeaseBoundError,
    );
    await expect(run(['register-lease'])).rejects.toThrow(
      /drop register-lease from --workload, or use the clock group/,
    );
  });
});
