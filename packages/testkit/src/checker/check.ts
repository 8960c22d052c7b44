// The checker's entry point: prepares a history (failed operations removed,
// unknown ones left open), splits it into independent partitions, searches
// each within a step budget, and on a violation shrinks the failing partition
// to its shortest failing prefix for the report.

import type { Model } from './model.js';
import { searchLinearization } from './search.js';
import type { TimedOp } from '../history/types.js';

export interface CheckOptions {
  /** Search steps allowed per partition before the verdict is 'unknown'. */
  readonly stepsMaxPerPartition?: number;
  /** Shrink each violation to its shortest failing prefix (costs a few extra searches). */
  readonly minimize?: boolean;
}

export interface PartitionViolation {
  readonly partition: string;
  /** Operations of the shortest failing prefix of this partition (ids, by invocation). */
  readonly prefixOpIds: readonly number[];
  /** The operation whose completion makes the prefix non-linearizable. */
  readonly culpritOpId: number | undefined;
  /** The longest linearizable sequence the search found (ids, in order). */
  readonly longestLinearization: readonly number[];
  /** Operations that had to take effect but could not (after that sequence). */
  readonly stuckOpIds: readonly number[];
}

export interface CheckResult {
  readonly verdict: 'ok' | 'violation' | 'unknown';
  readonly partitions: number;
  readonly operations: number;
  readonly steps: number;
  readonly violations: readonly PartitionViolation[];
  /** Partitions whose search ran out of budget. */
  readonly undecided: readonly { readonly partition: string; readonly reason: string }[];
}

/** Removes what carries no constraint and leaves unknown operations open. */
export function prepareHistory<Op extends TimedOp>(
  model: Model<unknown, Op>,
  history: readonly Op[],
): Op[] {
  const out: Op[] = [];
  for (const op of history) {
    if (op.outcome === 'fail') continue;
    if (op.outcome === 'unknown') {
      if (model.isReadOnly?.(op) === true) continue;
      out.push(op.completeTime === Infinity ? op : { ...op, completeTime: Infinity });
    } else {
      out.push(op);
    }
  }
  return out;
}

/**
 * Checks that `history` is linearizable with respect to `model`. Operations
 * with outcome 'fail' are taken as never applied; 'unknown' ones as maybe
 * applied, at any point after their invocation.
 */
export function checkLinearizable<S, Op extends TimedOp>(
  model: Model<S, Op>,
  history: readonly Op[],
  options: CheckOptions = {},
): CheckResult {
  const stepsMax = options.stepsMaxPerPartition ?? 2_000_000;
  const prepared = prepareHistory(model as Model<unknown, Op>, history);
  const parts = model.partition?.(prepared) ?? new Map([['all', prepared]]);
  let steps = 0;
  const violations: PartitionViolation[] = [];
  const undecided: { partition: string; reason: string }[] = [];
  for (const [partition, ops] of [...parts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const r = searchLinearization(model, ops, stepsMax);
    steps += r.steps;
    if (r.verdict === 'unknown') undecided.push({ partition, reason: r.reason });
    if (r.verdict !== 'violation') continue;
    const prefix =
      options.minimize === false ? undefined : shortestFailingPrefix(model, ops, stepsMax);
    violations.push({
      partition,
      prefixOpIds: prefix?.opIds ?? ops.map((o) => o.id),
      culpritOpId: prefix?.culpritOpId,
      longestLinearization: r.longestLinearization,
      stuckOpIds: r.stuckOpIds,
    });
  }
  const verdict = violations.length > 0 ? 'violation' : undecided.length > 0 ? 'unknown' : 'ok';
  return {
    verdict,
    partitions: parts.size,
    operations: prepared.length,
    steps,
    violations,
    undecided,
  };
}

/**
 * The history cut just after the k-th completion: operations invoked before
 * the cut, those still running at the cut left open (unknown).
 */
function cutAfterCompletion<Op extends TimedOp>(
  ops: readonly Op[],
  completions: readonly Op[],
  k: number,
): Op[] {
  const cut = completions[k] as Op;
  const included = new Set(completions.slice(0, k + 1).map((o) => o.id));
  const out: Op[] = [];
  for (const o of ops) {
    if (included.has(o.id)) out.push(o);
    else if (o.invokeTime <= cut.completeTime)
      out.push({ ...o, outcome: 'unknown', completeTime: Infinity });
  }
  return out;
}

/**
 * Binary search for the shortest prefix (by completions, in time order) that
 * is already non-linearizable. Non-linearizability is monotone in prefixes:
 * a longer prefix only adds operations and results, so the search is sound.
 */
function shortestFailingPrefix<S, Op extends TimedOp>(
  model: Model<S, Op>,
  ops: readonly Op[],
  stepsMax: number,
): { opIds: number[]; culpritOpId: number } | undefined {
  const completions = ops
    .filter((o) => o.completeTime !== Infinity)
    .sort((a, b) => a.completeTime - b.completeTime || a.id - b.id);
  if (completions.length === 0) return undefined;
  const fails = (k: number): boolean =>
    searchLinearization(
      model,
      prepareHistory(model as Model<unknown, Op>, cutAfterCompletion(ops, completions, k)),
      stepsMax,
    ).verdict === 'violation';
  let lo = 0;
  let hi = completions.length - 1;
  if (!fails(hi)) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (fails(mid)) hi = mid;
    else lo = mid + 1;
  }
  const prefix = cutAfterCompletion(ops, completions, lo);
  return {
    opIds: prefix.sort((a, b) => a.invokeTime - b.invokeTime || a.id - b.id).map((o) => o.id),
    culpritOpId: (completions[lo] as Op).id,
  };
}
