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
// - ignoreFailedLogWrites: a follower whose disk fails takes its failed log
//   writes for done, acknowledges entries it does not have and applies them;
//   the other follower's disk is slow, so commits rest on the broken one.
//   When it and the leader crash, it cannot restart (its KV state is ahead of
//   its log: the invariant createNode checks), which the simulator reports.
//   Without the bug the follower stops itself on the first failed write
//   (failingDisk) and restarts cleanly.
// - leaseTrackerAddOnly: a new leader keeps renewing a lease that committed
//   entries expired or revoked; two lock contenders hold the lease lock at
//   once. A scripted leader change in the middle of an expiry (generated
//   schedules rarely hit that window).

import { describe, expect, it } from 'vitest';
import type { NodeOptions } from '@flotilla/node';
import type { TxnRequest } from '@flotilla/kv';
import {
  checkMutex,
  DEFAULT_SIMULATION,
  flotillaStarter,
  formatCheckResult,
  formatMutexViolations,
  isUnsafe,
  registerModel,
  runSimulation,
  SimCluster,
  SimRuntime,
  type FaultSchedule,
  type LockHold,
  type MutexViolation,
  type SimulatedNode,
  type SimulationOptions,
  type SimulationResult,
} from '../src/cluster.js';

/** Registers only (no sessions, lease reads or locks), with the default disk latency and drift. */
const REGISTERS: SimulationOptions = {
  ...DEFAULT_SIMULATION,
  lock: undefined,
  workload: { ...DEFAULT_SIMULATION.workload, sessionShare: 0, leaseReadShare: 0 },
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
        {
          atMs: 100,
          fault: {
            kind: 'slowDisk',
            target: { role: 'follower', pick: 0 },
            extraMs: 40,
            forMs: 3_000,
          },
        },
        {
          atMs: 100,
          fault: {
            kind: 'slowDisk',
            target: { role: 'follower', pick: 1 },
            extraMs: 40,
            forMs: 3_000,
          },
        },
        {
          atMs: at,
          fault: { kind: 'crash', target: { role: 'follower', pick: 0 }, downMs: 20, tear: false },
        },
        {
          atMs: at,
          fault: { kind: 'crash', target: { role: 'follower', pick: 1 }, downMs: 20, tear: false },
        },
        {
          atMs: at,
          fault: { kind: 'crash', target: { role: 'leader', pick: 0 }, downMs: 1_200, tear: false },
        },
      ],
    };
  });
}

/** One follower's log writes fail, the other's disk is slow; then the failing one and the leader crash, the leader staying down. */
function failingDiskSchedules(count: number): FaultSchedule[] {
  return Array.from({ length: count }, (_, seed) => {
    const at = 600 + 53 * seed;
    return {
      seed,
      nodes: 3,
      snapshotEntries: 64,
      durationMs: 2_500,
      faults: [
        {
          atMs: 100,
          fault: {
            kind: 'slowDisk',
            target: { role: 'follower', pick: 1 },
            extraMs: 120,
            forMs: 3_000,
          },
        },
        {
          atMs: 100,
          fault: {
            kind: 'failingDisk',
            target: { role: 'follower', pick: 0 },
            what: 'log',
            downMs: 50,
          },
        },
        {
          atMs: at,
          fault: { kind: 'crash', target: { role: 'follower', pick: 0 }, downMs: 20, tear: false },
        },
        {
          atMs: at,
          fault: { kind: 'crash', target: { role: 'leader', pick: 0 }, downMs: 1_200, tear: false },
        },
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
      {
        atMs: 200,
        fault: {
          kind: 'slowDisk',
          target: { role: 'leader', pick: 0 },
          extraMs: 120,
          forMs: 2_500,
        },
      },
      {
        atMs: 400,
        fault: { kind: 'crashBusy', pick: 0, downMs: 0, tear: false, repeat: 3, leaderSlowMs: 0 },
      },
      {
        atMs: 1_400,
        fault: { kind: 'crashBusy', pick: 1, downMs: 0, tear: false, repeat: 3, leaderSlowMs: 0 },
      },
    ],
  }));
}

const enc = new TextEncoder();
const LOCK_KEY = enc.encode('lock');

function putIfAbsent(lease: number, holder: string): TxnRequest {
  return {
    compare: [{ target: 'MOD', result: 'EQUAL', key: LOCK_KEY, modRevision: 0 }],
    success: [{ requestPut: { key: LOCK_KEY, value: enc.encode(holder), lease } }],
    failure: [],
  };
}

/**
 * A scripted leader change in the middle of a lease expiry. A takes the lock
 * through the leader L1 and stops keeping its lease alive. Before the lease
 * runs out, L1 → G is cut, so L1's expiry entry reaches only F; the moment F
 * has it, L1 is isolated. F (the longer log) is elected, commits the old
 * term's expiry (deleting A's key) and B takes the lock. Then A's keep-alive
 * reaches F: a correct leader answers "lease not found"; a tracker that only
 * adds answers a TTL, and A believes it still holds the lock.
 */
async function leaseExpiredAcrossLeaderChange(
  fault: NonNullable<NodeOptions['unsafeTestFaults']>,
): Promise<MutexViolation[]> {
  const rt = new SimRuntime(7);
  const cluster = new SimCluster(
    rt,
    { nodes: 3, snapshotEntries: 100_000 },
    flotillaStarter({ unsafeTestFaults: fault }),
  );
  await rt.drive(cluster.start(), 5_000, 'start');
  expect(await rt.runUntilTrue(() => cluster.leaderId() !== undefined, 5_000)).toBe(true);
  const l1 = cluster.leaderId() as number;
  const [f, g] = cluster.ids().filter((id) => id !== l1) as [number, number];
  const node = (id: number): SimulatedNode => cluster.node(id) as SimulatedNode;

  const grantedAt = rt.now;
  const leaseA = await rt.drive(node(l1).leaseGrant(1), 1_000, 'grant A');
  expect(
    (await rt.drive(node(l1).txn(putIfAbsent(leaseA.id, 'A')), 1_000, 'acquire A')).succeeded,
  ).toBe(true);
  const acquiredA = rt.now;
  cluster.network.faults.blockLink(l1, g);
  const before = node(f).status().lastIndex;
  expect(
    await rt.runUntilTrue(() => node(f).status().lastIndex > before, 3_000),
    'the leader proposed the expiry',
  ).toBe(true);
  cluster.network.faults.isolate(l1);
  expect(
    await rt.runUntilTrue(
      () => cluster.leaderId() === f && node(f).status().appliedIndex > before,
      3_000,
    ),
    'F leads and applied the expiry',
  ).toBe(true);

  const leaseB = await rt.drive(node(f).leaseGrant(1), 1_000, 'grant B');
  expect(
    (await rt.drive(node(f).txn(putIfAbsent(leaseB.id, 'B')), 1_000, 'acquire B')).succeeded,
    'the expiry freed the lock',
  ).toBe(true);
  const acquiredB = rt.now;
  const sentAt = rt.now;
  const kept = await rt.drive(
    node(f)
      .leaseKeepAlive(leaseA.id)
      .then(
        (ttl) => ttl,
        () => 0,
      ),
    1_000,
    'keep-alive A',
  );
  await rt.drive(cluster.close(), 5_000, 'close');

  // A holds until its lease may have run out by what it heard (a success extends it); B holds 500 ms.
  const boundA = Math.max(
    grantedAt + leaseA.ttl * 1_000,
    kept > 0 ? sentAt + kept * 1_000 : -Infinity,
  );
  const holds: LockHold[] = [
    {
      client: 0,
      leaseId: leaseA.id,
      revision: 0,
      acquiredMs: acquiredA,
      endMs: boundA,
      endedBy: 'leaseRanOut',
    },
    {
      client: 1,
      leaseId: leaseB.id,
      revision: 0,
      acquiredMs: acquiredB,
      endMs: acquiredB + 500,
      endedBy: 'release',
    },
  ];
  return checkMutex(holds);
}

describe('whole-cluster simulator self-tests against bugs switched back on in the node', () => {
  it('catches a driver that acknowledges entries before they are durable (sendBeforePersist): an acknowledged write is lost', async () => {
    const caught = await withAndWithout(ackBeforePersistSchedules(12), REGISTERS, {
      sendBeforePersist: true,
    });
    console.log(`sendBeforePersist caught in seeds ${caught.join(', ')} of 0..11`);
    expect(caught.length).toBeGreaterThan(0);
  }, 300_000);

  it('catches a driver that takes a failed log write for done (ignoreFailedLogWrites): the follower cannot restart', async () => {
    const caught = await withAndWithout(failingDiskSchedules(12), REGISTERS, {
      ignoreFailedLogWrites: true,
    });
    console.log(`ignoreFailedLogWrites caught in seeds ${caught.join(', ')} of 0..11`);
    expect(caught.length).toBeGreaterThan(0);
  }, 300_000);

  // Needs the incarnation fix (branch fwd): without it the bug is always on and the "without" half fails.
  it('catches answers matched without the incarnation (ignoreIncarnation): a restarted follower resolves a new request with an old answer', async () => {
    const caught = await withAndWithout(staleAnswerSchedules(24), REGISTERS, {
      ignoreIncarnation: true,
    });
    console.log(`ignoreIncarnation caught in seeds ${caught.join(', ')} of 0..23`);
    expect(caught.length).toBeGreaterThan(0);
  }, 300_000);

  // Needs the lease tracker fix (branch leases): without it the bug is always on and the "without" half fails.
  it('catches a lease tracker that only adds (leaseTrackerAddOnly): two lock holders at once after a leader change', async () => {
    const withBug = await leaseExpiredAcrossLeaderChange({ leaseTrackerAddOnly: true });
    expect(withBug.length, 'two holders with the bug').toBeGreaterThan(0);
    console.log(formatMutexViolations(withBug));
    const fixed = await leaseExpiredAcrossLeaderChange({});
    expect(fixed, formatMutexViolations(fixed)).toEqual([]);
  }, 120_000);
});
