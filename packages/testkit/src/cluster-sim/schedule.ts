// A fault schedule: plain data that fast-check generates and shrinks, and
// that a seed plus the schedule replay exactly. Nodes are named by role or
// by a pick resolved against the nodes at that moment, so a shrunk schedule
// stays meaningful when earlier faults are removed.

import fc from 'fast-check';
import type { PartitionShape } from '../faults.js';

/** Which node a fault hits: the leader at that moment, a follower, or any node. */
export interface Target {
  readonly role: 'leader' | 'follower' | 'any';
  readonly pick: number;
}

/** The partition shapes the whole-cluster simulator knows (the shared vocabulary: ../faults.ts). */
export type ClusterPartitionShape = Extract<
  PartitionShape,
  'halves' | 'isolateLeader' | 'bridge' | 'leaderDeaf' | 'oneWayLink'
>;

export type Fault =
  | { readonly kind: 'partition'; readonly shape: ClusterPartitionShape; readonly pick: number }
  | { readonly kind: 'heal' }
  /** Crash (losing unsynced writes; `tear` also tears the last unsynced batch), restart after `downMs`. */
  | {
      readonly kind: 'crash';
      readonly target: Target;
      readonly downMs: number;
      readonly tear: boolean;
    }
  /** Stop delivering to and ticking a node for `forMs`. */
  | { readonly kind: 'pause'; readonly target: Target; readonly forMs: number }
  /** Remove a member, then add a brand-new node as learner and promote it. */
  | { readonly kind: 'churn'; readonly target: Target }
  | { readonly kind: 'transferLeadership'; readonly target: Target }
  /** Random message loss, duplication and reordering for `forMs`. */
  | {
      readonly kind: 'noise';
      readonly dropP: number;
      readonly duplicateP: number;
      readonly reorderP: number;
      readonly forMs: number;
    }
  /**
   * Crash a follower that has client requests outstanding (forwarded writes,
   * reads), and restart it after `downMs` (short), so answers meant for the
   * old incarnation meet the new one's requests. `repeat` > 1 crashes the
   * restarted node again as soon as it is busy: a young incarnation's request
   * ids are small, so they collide with the next one's. `leaderSlowMs` > 0
   * slows the leader's disk meanwhile, so the old incarnation's forwarded
   * writes are answered only after the new one has sent its own.
   */
  | {
      readonly kind: 'crashBusy';
      readonly pick: number;
      readonly downMs: number;
      readonly tear: boolean;
      readonly repeat: number;
      readonly leaderSlowMs: number;
    }
  /**
   * The leader is cut off from all but one follower; the moment that
   * follower's log grows (the leader's next entry reached only it), the
   * leader is isolated, for `forMs`. The next leader then commits the old
   * term's entry itself (an entry proposed by one leader, applied under another).
   */
  | { readonly kind: 'isolateMidAppend'; readonly pick: number; readonly forMs: number }
  /** Every write on a node takes `extraMs` longer for `forMs` (a slow disk: long windows between write and ack). */
  | {
      readonly kind: 'slowDisk';
      readonly target: Target;
      readonly extraMs: number;
      readonly forMs: number;
    }
  /**
   * Every later write of a node's Raft log (`what: 'log'`) or KV state fails, as
   * a dying disk's: the node stops itself on the first failure (nothing more is
   * sent), and restarts `downMs` after that from what it had synced, its disk
   * whole again.
   */
  | {
      readonly kind: 'failingDisk';
      readonly target: Target;
      readonly what: 'log' | 'state';
      readonly downMs: number;
    };

export interface TimedFault {
  readonly atMs: number;
  readonly fault: Fault;
}

export interface FaultSchedule {
  /** Seeds every random choice of the run (network, nodes, clients). */
  readonly seed: number;
  readonly nodes: 3 | 5;
  /** Snapshot every this many applied entries: small, so snapshots and InstallSnapshot happen. */
  readonly snapshotEntries: number;
  /** Virtual time the workload and faults run before the final heal. */
  readonly durationMs: number;
  readonly faults: readonly TimedFault[];
  /** A small exactly-once table (clients evicted while they retry); absent = the defaults. */
  readonly kvLimits?: { readonly clientsMax: number; readonly clientIdleEntriesMax: number };
}

const targetArb: fc.Arbitrary<Target> = fc.record({
  role: fc.constantFrom<Target['role']>('leader', 'follower', 'any'),
  pick: fc.nat({ max: 6 }),
});

export function faultArb(maxDownMs: number): fc.Arbitrary<Fault> {
  return fc.oneof(
    fc.record({
      kind: fc.constant('partition' as const),
      shape: fc.constantFrom<ClusterPartitionShape>(
        'halves',
        'isolateLeader',
        'bridge',
        'leaderDeaf',
        'oneWayLink',
      ),
      pick: fc.nat({ max: 1000 }),
    }),
    fc.constant({ kind: 'heal' as const }),
    fc.record({
      kind: fc.constant('crash' as const),
      target: targetArb,
      downMs: fc.integer({ min: 0, max: maxDownMs }),
      tear: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('pause' as const),
      target: targetArb,
      forMs: fc.integer({ min: 50, max: maxDownMs }),
    }),
    fc.record({ kind: fc.constant('churn' as const), target: targetArb }),
    fc.record({ kind: fc.constant('transferLeadership' as const), target: targetArb }),
    fc.record({
      kind: fc.constant('noise' as const),
      dropP: fc.constantFrom(0, 0.05, 0.2),
      duplicateP: fc.constantFrom(0, 0.05, 0.2),
      reorderP: fc.constantFrom(0, 0.1, 0.3),
      forMs: fc.integer({ min: 50, max: maxDownMs }),
    }),
    // Weighted up: the faults that reach restarted incarnations and old-term entries need to coincide with load.
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('crashBusy' as const),
        pick: fc.nat({ max: 6 }),
        downMs: fc.integer({ min: 0, max: 150 }),
        tear: fc.boolean(),
        repeat: fc.integer({ min: 1, max: 3 }),
        leaderSlowMs: fc.constantFrom(0, 60, 150, 150),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('isolateMidAppend' as const),
        pick: fc.nat({ max: 6 }),
        forMs: fc.integer({ min: 200, max: maxDownMs }),
      }),
    },
    fc.record({
      kind: fc.constant('slowDisk' as const),
      target: targetArb,
      extraMs: fc.constantFrom(10, 40, 120),
      forMs: fc.integer({ min: 50, max: maxDownMs }),
    }),
    fc.record({
      kind: fc.constant('failingDisk' as const),
      target: targetArb,
      what: fc.constantFrom<'log' | 'state'>('log', 'state'),
      downMs: fc.integer({ min: 0, max: maxDownMs }),
    }),
  );
}

export interface FaultScheduleArbOptions {
  readonly durationMs?: number;
  readonly faultsMax?: number;
  readonly sizes?: readonly (3 | 5)[];
  /** Snapshot intervals to choose from (entries). Default 8, 16, 64. */
  readonly snapshotEntries?: readonly number[];
  /** Share of schedules with a small exactly-once table (clients evicted while retrying). Default 0.3. */
  readonly smallClientTableShare?: number;
}

/** The small exactly-once tables schedules draw from: fewer entries than clients, or a short idle limit. */
const SMALL_CLIENT_TABLES = [
  { clientsMax: 1, clientIdleEntriesMax: 1_000_000 },
  { clientsMax: 2, clientIdleEntriesMax: 20 },
  { clientsMax: 10_000, clientIdleEntriesMax: 5 },
] as const;

/** Fault schedules: a seed, a cluster size, a snapshot interval and timed faults in time order. */
export function faultScheduleArb(
  options: FaultScheduleArbOptions = {},
): fc.Arbitrary<FaultSchedule> {
  const durationMs = options.durationMs ?? 3_000;
  return fc
    .record({
      seed: fc.nat(),
      nodes: fc.constantFrom(...(options.sizes ?? ([3, 5] as const))),
      snapshotEntries: fc.constantFrom(...(options.snapshotEntries ?? [8, 16, 64])),
      durationMs: fc.constant(durationMs),
      faults: fc
        .array(
          fc.record({
            atMs: fc.integer({ min: 0, max: durationMs }),
            fault: faultArb(Math.floor(durationMs / 2)),
          }),
          {
            maxLength: options.faultsMax ?? 8,
          },
        )
        .map((fs) => [...fs].sort((a, b) => a.atMs - b.atMs)),
      // Unbiased: fast-check leans toward small values, which made the share ~0.9 instead of 0.3.
      smallTable: fc.noBias(fc.integer({ min: 0, max: 999 })),
      table: fc.constantFrom(...SMALL_CLIENT_TABLES),
    })
    .map(({ smallTable, table, ...s }) =>
      smallTable < 1000 * (options.smallClientTableShare ?? 0.3) ? { ...s, kvLimits: table } : s,
    );
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'partition':
      return `partition ${f.shape} #${f.pick}`;
    case 'heal':
      return 'heal';
    case 'crash':
      return `crash ${f.target.role}#${f.target.pick} for ${f.downMs} ms${f.tear ? ' (torn write)' : ''}`;
    case 'pause':
      return `pause ${f.target.role}#${f.target.pick} for ${f.forMs} ms`;
    case 'churn':
      return `churn ${f.target.role}#${f.target.pick}`;
    case 'transferLeadership':
      return `transfer leadership to ${f.target.role}#${f.target.pick}`;
    case 'noise':
      return `noise drop ${f.dropP} dup ${f.duplicateP} reorder ${f.reorderP} for ${f.forMs} ms`;
    case 'crashBusy':
      return `crash busy follower #${f.pick} for ${f.downMs} ms${f.repeat > 1 ? ` ×${f.repeat}` : ''}${f.leaderSlowMs > 0 ? `, leader disk +${f.leaderSlowMs} ms` : ''}${f.tear ? ' (torn write)' : ''}`;
    case 'isolateMidAppend':
      return `isolate the leader once follower #${f.pick} alone has its next entry, for ${f.forMs} ms`;
    case 'slowDisk':
      return `slow disk ${f.target.role}#${f.target.pick} +${f.extraMs} ms for ${f.forMs} ms`;
    case 'failingDisk':
      return `failing disk (${f.what}) ${f.target.role}#${f.target.pick}, restart ${f.downMs} ms after it fails`;
    default: {
      const never: never = f;
      return String(never);
    }
  }
}
