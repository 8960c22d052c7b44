// The property suite has teeth: clusters broken on purpose IN THE HARNESS
// (a storage that forgets, a driver that acknowledges too early; the core is
// untouched) must be caught by the invariant checker. Each search prints the
// seed and path that found the violation, and replays it to show it is exact.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LoadedState } from '@flotilla/storage';
import {
  LivenessError,
  runRaftSchedule,
  SafetyViolationError,
  type FaultInjection,
  type RaftInvariant,
  type SimStep,
} from '../src/raft-sim.js';

const pick = fc.nat(100);
// Crash-heavy schedules around elections: where lost votes and lost entries bite.
const crashHeavy: fc.Arbitrary<[SimStep[], number]> = fc.tuple(
  fc.array(
    fc.record({
      event: fc.oneof(
        fc.record({
          kind: fc.constant('propose' as const),
          count: fc.integer({ min: 1, max: 3 }),
          pick,
        }),
        fc.record({ kind: fc.constant('crash' as const), pick, tear: fc.boolean() }),
        fc.record({ kind: fc.constant('restart' as const), pick }),
        fc.record({
          kind: fc.constant('partition' as const),
          shape: fc.constantFrom('isolateLeader' as const, 'halves' as const),
          pick,
        }),
        fc.record({ kind: fc.constant('heal' as const) }),
      ),
      ticks: fc.integer({ min: 0, max: 8 }),
    }),
    { minLength: 5, maxLength: 30, size: 'max' },
  ),
  fc.nat(),
);

interface Found {
  readonly seed: number;
  readonly path: string;
  readonly error: unknown;
}

async function run(
  injection: FaultInjection,
  [steps, simSeed]: [SimStep[], number],
): Promise<void> {
  try {
    await runRaftSchedule({ seed: simSeed, size: 3, injection }, steps);
  } catch (e) {
    // A broken storage may also just stall the cluster; the self-test wants a safety violation.
    if (e instanceof LivenessError) return;
    throw e;
  }
}

async function findViolation(
  name: string,
  injection: FaultInjection,
  seed: number,
): Promise<Found> {
  const property = fc.asyncProperty(crashHeavy, (input) => run(injection, input));
  // No shrinking: the self-test only needs the violation and how to replay it.
  const d = await fc.check(property, { numRuns: 3000, seed, endOnFailure: true });
  expect(d.failed, `${name}: no violation found in ${d.numRuns} schedules from seed ${seed}`).toBe(
    true,
  );
  const found = { seed: d.seed, path: d.counterexamplePath ?? '', error: d.errorInstance };
  console.log(
    `self-test "${name}": found after ${d.numRuns} schedules, seed ${found.seed}, path ${found.path}: ${String(found.error)}`,
  );
  // The same seed and path replay the same violation.
  const again = await fc.check(property, {
    seed: found.seed,
    path: found.path,
    endOnFailure: true,
  });
  expect(String(again.errorInstance)).toBe(String(found.error));
  return found;
}

function expectViolation(found: Found, allowed: readonly RaftInvariant[]): void {
  expect(found.error).toBeInstanceOf(SafetyViolationError);
  expect(allowed).toContain((found.error as SafetyViolationError).invariant);
}

describe('invariant checker self-tests: injected faults are found', () => {
  it('a storage that forgets its vote on restart lets two leaders win one term (election safety)', async () => {
    const forgetVote = (_: number, l: LoadedState): LoadedState => ({
      ...l,
      hardState: { ...l.hardState, vote: 0 },
    });
    expectViolation(await findViolation('forget vote', { afterLoad: forgetVote }, 1), [
      'electionSafety',
    ]);
  });

  it('a storage that loses synced entries loses committed ones (leader completeness, state machine safety)', async () => {
    const loseTail = (_: number, l: LoadedState): LoadedState => {
      const kept = l.entries.slice(0, Math.max(0, l.entries.length - 3));
      const last = (l.snapshotMeta?.index ?? 0) + kept.length;
      return {
        ...l,
        entries: kept,
        lastIndex: last,
        hardState: { ...l.hardState, commit: Math.min(l.hardState.commit, last) },
      };
    };
    expectViolation(await findViolation('lose synced entries', { afterLoad: loseTail }, 2), [
      'leaderCompleteness',
      'stateMachineSafety',
      'logMatching',
      'acknowledgedDurability',
    ]);
  });

  it('a driver that sends acknowledgements before its write is durable breaks safety after a crash', async () => {
    expectViolation(await findViolation('ack before persist', { ackBeforePersist: true }, 3), [
      'electionSafety',
      'leaderCompleteness',
      'stateMachineSafety',
      'logMatching',
      'acknowledgedDurability',
    ]);
  });
});
