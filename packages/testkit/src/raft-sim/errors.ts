// Typed failures of the Raft simulation. A safety violation and a liveness
// failure are what the property suite looks for; a harness error means the
// simulator itself was misused or is inconsistent (fix the test, not the core).
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

/** The Raft property that a run broke. */
export type RaftInvariant =
  | 'electionSafety'
  | 'logMatching'
  | 'leaderCompleteness'
  | 'stateMachineSafety'
  | 'commitMonotonic'
  | 'readIndexSafety'
  | 'acknowledgedDurability';

/** A Raft safety property does not hold. The message names the nodes, indexes and terms involved. */
export class SafetyViolationError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'SafetyViolationError';
  constructor(
    readonly invariant: RaftInvariant,
    detail: string,
  ) {
    super(`${invariant} violated: ${detail}`);
  }
}

/** After every fault healed, the cluster did not elect a leader or did not converge within its bound. */
export class LivenessError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'LivenessError';
  constructor(
    readonly phase: 'election' | 'convergence',
    readonly boundTicks: number,
    detail: string,
  ) {
    super(
      `no ${phase === 'election' ? 'leader elected' : 'convergence'} within ${boundTicks} ticks after healing: ${detail}`,
    );
  }
}

/** The simulator was given something it cannot run (a bad option, an unknown node). Fix the caller. */
export class SimulationError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'SimulationError';
}
