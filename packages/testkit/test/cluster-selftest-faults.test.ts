// The whole-cluster simulator must catch bugs in the real node, switched
// back on through NodeOptions.unsafeTestFaults (TEST ONLY). Each test runs
// targeted generated schedules with the bug and requires the checker to
// flag at least one run, and runs the same schedules without the bug and
// requires none flagged, so what is caught is the bug and not the harness.
//
// - sendBeforePersist: followers acknowledge entries before their write is
//   durable; disks are slow and a crash falls in the middle of a write, so
//   an acknowledged write is lost.
// - ignoreIncarnation: answers to forwarded requests (and read-index
//   confirmations) are matched by an id that restarts with each incarnation;
//   a follower crashed and restarted while it has requests outstanding meets
//   answers meant for its previous incarnation.
// - leaseTrackerAddOnly: a new leader keeps renewing a lease that committed
//   entries expired or revoked; two lock contenders hold the lease lock at once.

import { describe, expect, it } from 'vitest';
import type { NodeOptions } from '@flotilla/node';
import {
  DEFAULT_SIMULATION,
  flotillaStarter,
  formatCheckResult,
  formatMutexViolations,
  isUnsafe,
  registerModel,
  runSimulation,
  type FaultSchedule,
  type SimulationOptions,
  type SimulationResult,
} from '../src/cluster.js';

/** Registers only (no sessions, lease reads or locks), with the default disk latency and drift. */
const REGISTERS: SimulationOptions = {
  ...DEFAULT_SIMULATION,
  lock: undefined,
  workload: { ...DEFAULT_SIMULATION.workload, sessionShare: 0, leaseReadShare: 0 },
};

/** Lock contenders that hold long and keep alive often, beside a light register load. */
const LOCKS: SimulationOptions = {
  ...DEFAULT_SIMULATION,
  workload: { ...DEFAULT_SIMULATION.workload, clients: 2, sessionShare: 0, leaseReadShare: 0 },
  lock: { ...(DEFAULT_SIMULATION.lock as NonNullable<SimulationOptions['lock']>), clients: 3, holdMsMax: 2_500, keepAliveEveryMs: 150 },
};

function report(r: SimulationResult): string {
  return `${formatCheckResult(registerModel, r.history, r.check)}\n${formatMutexViolations(r.locks.violations)}\n${r.invariantViolations.join('\n')}\n${r.log.join('\n')}`;
}

/** Runs every schedule with the fault and without it; returns the seeds caught with it. */
async function withAndWithout(
  schedules: readonly FaultSchedule[],
  options: SimulationOptions,
  fault: NonNullable<NodeOptions['unsafeTestFaults']>,
): Promise<number[]> {
  const caught: number[] = [];
  for (const s of schedules) {
    const bad = await runSimulation(s, flotillaStarter({ unsafeTestFaults: fault }), options);
    if (isUnsafe(bad)) caught.push(s.seed);
    const good = await runSimulation(s, flotillaStarter(), options);
    expect(isUnsafe(good), `seed ${s.seed} without the fault:\n${report(good)}`).toBe(false);
  }
  return caught;
}

/** Both followers' disks slow; then the leader and both followers crash at once, the leader staying down. */
function ackBeforePersistSchedules(count: number): FaultSchedule[] {
  return Array.from({ length: count }, (_, seed) => {
    const at = 500 + 53 * seed;
    return {
      seed,
      nodes: 3,
      snapshotEntries: 64,
      durationMs: 2_500,
      faults: [
        { atMs: 100, fault: { kind: 'slowDisk', target: { role: 'follower', pick: 0 }, extraMs: 40, forMs: 3_000 } },
        { atMs: 100, fault: { kind: 'slowDisk', target: { role: 'follower', pick: 1 }, extraMs: 40, forMs: 3_000 } },
        { atMs: at, fault: { kind: 'crash', target: { role: 'follower', pick: 0 }, downMs: 20, tear: false } },
        { atMs: at, fault: { kind: 'crash', target: { role: 'follower', pick: 1 }, downMs: 20, tear: false } },
        { atMs: at, fault: { kind: 'crash', target: { role: 'leader', pick: 0 }, downMs: 1_200, tear: false } },
      ],
    };
  });
}

/** A slow leader disk (forwarded writes stay in flight) while each follower in turn is crashed three times as soon as it is busy. */
function staleAnswerSchedules(count: number): FaultSchedule[] {
  return Array.from({ length: count }, (_, seed) => ({
    seed,
    nodes: 3,
    snapshotEntries: 64,
    durationMs: 3_000,
    faults: [
      { atMs: 200, fault: { kind: 'slowDisk', target: { role: 'leader', pick: 0 }, extraMs: 120, forMs: 2_500 } },
      { atMs: 400, fault: { kind: 'crashBusy', pick: 0, downMs: 0, tear: false, repeat: 3, leaderSlowMs: 0 } },
      { atMs: 1_400, fault: { kind: 'crashBusy', pick: 1, downMs: 0, tear: false, repeat: 3, leaderSlowMs: 0 } },
    ],
  }));
}

/** Leaders cut off again and again (isolated, or deaf) while contenders hold the lock. */
function leaderChangeSchedules(count: number): FaultSchedule[] {
  return Array.from({ length: count }, (_, seed) => {
    const faults: FaultSchedule['faults'][number][] = [];
    for (let k = 0; k < 6; k++) {
      const at = 300 + k * 700 + ((seed * 37) % 300);
      faults.push({ atMs: at, fault: { kind: 'partition', shape: k % 2 === 0 ? 'isolateLeader' : 'leaderDeaf', pick: seed + k } });
      faults.push({ atMs: at + 450 + ((seed * 13) % 200), fault: { kind: 'heal' } });
    }
    return { seed, nodes: 3, snapshotEntries: 64, durationMs: 4_500, faults };
  });
}

describe('whole-cluster simulator self-tests against bugs switched back on in the node', () => {
  it('catches a driver that acknowledges entries before they are durable (sendBeforePersist): an acknowledged write is lost', async () => {
    const caught = await withAndWithout(ackBeforePersistSchedules(12), REGISTERS, { sendBeforePersist: true });
    console.log(`sendBeforePersist caught in seeds ${caught.join(', ')} of 0..11`);
    expect(caught.length).toBeGreaterThan(0);
  }, 300_000);

  // Needs the incarnation fix (branch fwd): without it the bug is always on and the "without" half fails.
  it('catches answers matched without the incarnation (ignoreIncarnation): a restarted follower resolves a new request with an old answer', async () => {
    const caught = await withAndWithout(staleAnswerSchedules(24), REGISTERS, { ignoreIncarnation: true });
    console.log(`ignoreIncarnation caught in seeds ${caught.join(', ')} of 0..23`);
    expect(caught.length).toBeGreaterThan(0);
  }, 300_000);

  // Needs the lease tracker fix (branch leases): without it the bug is always on and the "without" half fails.
  it('catches a lease tracker that only adds (leaseTrackerAddOnly): two lock holders at once', async () => {
    const caught = await withAndWithout(leaderChangeSchedules(20), LOCKS, { leaseTrackerAddOnly: true });
    console.log(`leaseTrackerAddOnly caught in seeds ${caught.join(', ')} of 0..19`);
    expect(caught.length).toBeGreaterThan(0);
  }, 600_000);
});
