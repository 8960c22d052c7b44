// Shrinks a non-linearizable sub-history to a small one that still fails,
// for reports: the shortest failing prefix of a real run can hold hundreds of
// operations, of which a handful explain the anomaly (a write, a later write,
// a read that still saw the first). Removal is ddmin-like (chunks, then
// single operations) and bounded by a number of checks. The caller says which
// operations must stay (the culprit) and which may not be removed while
// others remain (a write whose value a remaining read saw: without it the
// read would fail trivially and the report would explain nothing).
import type { Model } from '../checker/model.js';
import { searchLinearization } from '../checker/search.js';
import type { TimedOp } from '../history/types.js';

export interface ShrinkOptions<Op> {
  /** Operations that must stay. */
  readonly keep?: (op: Op) => boolean;
  /** Whether `op` may be removed while `remaining` (without it) stays. Default: always. */
  readonly removable?: (op: Op, remaining: readonly Op[]) => boolean;
  /** Linearizability checks allowed in total (each one a search). */
  readonly checksMax?: number;
  /** Search steps per check; a check that runs out counts as "not failing". */
  readonly stepsMax?: number;
}

export interface ShrinkResult<Op> {
  readonly ops: readonly Op[];
  readonly checks: number;
  /** False when the check budget ran out before no single removal was left to try. */
  readonly minimal: boolean;
}

/** `ops` must already be non-linearizable under `model` (one partition, prepared). */
export function shrinkViolation<S, Op extends TimedOp>(
  model: Model<S, Op>,
  ops: readonly Op[],
  options: ShrinkOptions<Op> = {},
): ShrinkResult<Op> {
  const checksMax = options.checksMax ?? 2_000;
  const stepsMax = options.stepsMax ?? 200_000;
  const keep = options.keep ?? (() => false);
  const removable = options.removable ?? (() => true);
  let checks = 0;
  const fails = (candidate: readonly Op[]): boolean => {
    checks++;
    return searchLinearization(model, candidate, stepsMax).verdict === 'violation';
  };
  let current = [...ops];
  let chunk = Math.max(1, Math.floor(current.length / 2));
  for (;;) {
    let removedAny = false;
    for (let start = 0; start < current.length && checks < checksMax; ) {
      const slice = current.slice(start, start + chunk);
      const rest = [...current.slice(0, start), ...current.slice(start + chunk)];
      const allowed = slice.every((op) => !keep(op) && removable(op, rest));
      if (allowed && fails(rest)) {
        current = rest;
        removedAny = true;
      } else {
        start += chunk;
      }
    }
    if (checks >= checksMax) return { ops: current, checks, minimal: false };
    if (chunk === 1 && !removedAny) return { ops: current, checks, minimal: true };
    if (!removedAny || chunk > 1) chunk = Math.max(1, Math.floor(chunk / 2));
  }
}
