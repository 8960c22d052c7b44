// Fault schedules as plain data, and the fast-check arbitraries that generate
// and shrink them. Events name nodes by a `pick` number resolved against the
// cluster at the moment the event runs (the leader, the running nodes, the
// learners...), so a shrunk schedule still means something.
import fc from 'fast-check';
import type { PartitionShape as SharedPartitionShape } from '../faults.js';

/** The partition shapes the core simulator knows (the shared vocabulary: ../faults.ts). */
export type PartitionShape = Extract<
  SharedPartitionShape,
  'halves' | 'isolateLeader' | 'bridge' | 'leaderDeaf' | 'isolateOne'
>;

export type ConfOp =
  | 'addLearner'
  | 'promote'
  | 'remove'
  /** Joint consensus: promote a learner and remove a voter in one change. */
  | 'replace';

export type SimEvent =
  | { readonly kind: 'propose'; readonly count: number; readonly pick: number }
  | { readonly kind: 'partition'; readonly shape: PartitionShape; readonly pick: number }
  | { readonly kind: 'heal' }
  | {
      readonly kind: 'noise';
      readonly dropP: number;
      readonly duplicateP: number;
      readonly reorderP: number;
      readonly delayMsMax: number;
    }
  | { readonly kind: 'quiet' }
  | { readonly kind: 'crash'; readonly pick: number; readonly tear: boolean }
  | { readonly kind: 'restart'; readonly pick: number }
  | { readonly kind: 'conf'; readonly op: ConfOp; readonly pick: number }
  | { readonly kind: 'transferLeadership'; readonly pick: number }
  | { readonly kind: 'read'; readonly pick: number }
  /** One node's disk becomes slow (or fast again): its writes take up to `delayMsMax`. */
  | { readonly kind: 'slowDisk'; readonly pick: number; readonly delayMsMax: number };

/** One schedule step: an event, then `ticks` tick intervals of virtual time. */
export interface SimStep {
  readonly event: SimEvent;
  readonly ticks: number;
}

const pick = fc.nat(1000);

export const simEventArb: fc.Arbitrary<SimEvent> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('propose' as const),
      count: fc.integer({ min: 1, max: 4 }),
      pick,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('partition' as const),
      shape: fc.constantFrom<PartitionShape>(
        'halves',
        'isolateLeader',
        'bridge',
        'leaderDeaf',
        'isolateOne',
      ),
      pick,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('noise' as const),
      dropP: fc.constantFrom(0, 0.05, 0.2),
      duplicateP: fc.constantFrom(0, 0.1, 0.3),
      reorderP: fc.constantFrom(0, 0.2, 0.5),
      delayMsMax: fc.constantFrom(3, 10, 30),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('quiet' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('crash' as const), pick, tear: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('conf' as const),
      op: fc.constantFrom<ConfOp>('addLearner', 'promote', 'remove', 'replace'),
      pick,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transferLeadership' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), pick }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('slowDisk' as const),
      pick,
      delayMsMax: fc.constantFrom(0, 15, 80),
    }),
  },
);

export interface ScheduleShape {
  /** Steps per schedule. */
  readonly stepsMin: number;
  readonly stepsMax: number;
  /** Ticks after each event. */
  readonly ticksMax: number;
}

export const DEFAULT_SCHEDULE_SHAPE: ScheduleShape = { stepsMin: 4, stepsMax: 24, ticksMax: 12 };

export function scheduleArb(
  shape: ScheduleShape = DEFAULT_SCHEDULE_SHAPE,
): fc.Arbitrary<SimStep[]> {
  return fc.array(
    fc.record({ event: simEventArb, ticks: fc.integer({ min: 0, max: shape.ticksMax }) }),
    { minLength: shape.stepsMin, maxLength: shape.stepsMax, size: 'max' },
  );
}
