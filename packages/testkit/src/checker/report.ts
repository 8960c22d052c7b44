import type { CheckResult } from './check.js';
import type { Model } from './model.js';
import type { TimedOp } from '../history/types.js';

/** A human-readable account of a check result: the failing prefix of each violation, op by op. */
export function formatCheckResult<S, Op extends TimedOp>(
  model: Model<S, Op>,
  history: readonly Op[],
  result: CheckResult,
  opsShownMax = 40,
): string {
  const byId = new Map(history.map((o) => [o.id, o]));
  const show = (id: number): string => {
    const o = byId.get(id);
    return o === undefined ? `#${id}` : (model.describe?.(o) ?? JSON.stringify(o));
  };
  const lines = [
    `${model.name}: ${result.verdict} (${result.operations} operations, ${result.partitions} partitions, ${result.steps} search steps)`,
  ];
  for (const v of result.violations) {
    lines.push(
      `violation in partition ${v.partition}; shortest failing prefix has ${v.prefixOpIds.length} operations`,
    );
    if (v.culpritOpId !== undefined)
      lines.push(`  it fails when this completes: ${show(v.culpritOpId)}`);
    lines.push(
      `  cannot be linearized after ${v.longestLinearization.length} operations; stuck: ${v.stuckOpIds.map(show).join(' | ')}`,
    );
    for (const id of v.prefixOpIds.slice(-opsShownMax)) lines.push(`    ${show(id)}`);
  }
  for (const u of result.undecided) lines.push(`undecided partition ${u.partition}: ${u.reason}`);
  return lines.join('\n');
}
