// Mutual exclusion over a lock history: each hold is the interval in which
// a client believed it held the lock, from the acknowledgement of its
// acquire to the moment it stopped (release, a failed keep-alive) or the
// end of its lease as it could last know it (the latest successful
// keep-alive's send time plus the TTL it answered, shortened by the clock
// drift allowed). Two holds that overlap are a violation.

export interface LockHold {
  /** The client (lock contender) that held it. */
  readonly client: number;
  readonly leaseId: number;
  /** The revision of the acquiring write: the fencing token. */
  readonly revision: number;
  readonly acquiredMs: number;
  readonly endMs: number;
  /** Why the hold ended: released, a keep-alive failed, or the lease could have run out. */
  readonly endedBy: 'release' | 'keepAliveFailed' | 'leaseRanOut';
}

export interface MutexViolation {
  readonly first: LockHold;
  readonly second: LockHold;
}

/**
 * Pairs of holds whose intervals overlap (touching at one instant is not an
 * overlap: virtual time is coarse). Holds are sorted by acquisition; a
 * sweep keeps the holds still open.
 */
export function checkMutex(holds: readonly LockHold[]): MutexViolation[] {
  const sorted = [...holds].sort((a, b) => a.acquiredMs - b.acquiredMs || a.endMs - b.endMs);
  const violations: MutexViolation[] = [];
  let open: LockHold[] = [];
  for (const h of sorted) {
    open = open.filter((o) => o.endMs > h.acquiredMs);
    for (const o of open) if (h.endMs > h.acquiredMs) violations.push({ first: o, second: h });
    open.push(h);
  }
  return violations;
}

export function describeHold(h: LockHold): string {
  return `client ${h.client} (lease ${h.leaseId}, token ${h.revision}) held from ${h.acquiredMs} to ${h.endMs} ms (${h.endedBy})`;
}

export function formatMutexViolations(violations: readonly MutexViolation[], max = 5): string {
  const lines = violations
    .slice(0, max)
    .map((v) => `two lock holders at once: ${describeHold(v.first)}; ${describeHold(v.second)}`);
  if (violations.length > max)
    lines.push(`… and ${violations.length - max} more overlapping pairs`);
  return lines.join('\n');
}
