import type { TimedOp } from '../history/types.js';

/**
 * A sequential specification for the linearizability checker. The model is
 * deterministic: `step` returns the one next state, or undefined when the
 * operation (with its recorded result) is impossible in `state`. A
 * nondeterministic specification is made deterministic by letting the state
 * be the set of possible states (as the register model does).
 */
export interface Model<S, Op extends TimedOp> {
  readonly name: string;
  init(): S;
  /**
   * Applies `op` to `state`. When `op.outcome` is 'unknown' the result is not
   * known and any result must be accepted.
   */
  step(state: S, op: Op): S | undefined;
  /** A string that is equal for equal states: the memo cache key. */
  stateKey(state: S): string;
  /**
   * Operations without effect on the state (reads). An unknown-outcome
   * read-only operation carries no information and is dropped before search.
   */
  isReadOnly?(op: Op): boolean;
  /**
   * Splits a history into independent sub-histories (e.g. per key) that are
   * linearizable together iff each one is (locality of linearizability).
   */
  partition?(history: readonly Op[]): ReadonlyMap<string, readonly Op[]>;
  /** One line describing an operation, for reports. */
  describe?(op: Op): string;
}
