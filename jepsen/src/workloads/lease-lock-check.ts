// The lease-lock checker: no two holders at once. Pure: holds in, verdict
// pieces out (jepsen/test feeds it histories).
//
// A holder may act from the acknowledgement of its create-if-absent until it
// calls release, or until its lease may have run out, whichever is first. The
// lease may run out TTL after the leader last renewed it, by the leader's
// clock, which may run fast by up to LEASE_CLOCK_DRIFT_MAX (the drift the
// lease design assumes; the clock nemesis stays within it): TTL ÷ (1 + drift)
// of true time. And the leader renewed it no earlier than the renewal was SENT
// (the grant, then each keep-alive): so a holder's safe end is min(release
// call, latest renewal sent + TTL ÷ (1 + drift)). Two holds overlapping within
// their safe ends are a violation:
// the store let a second client create the key while the first one's lease
// was still guaranteed.
//
// Clients (etcd's among them) usually measure the lease from the keep-alive's
// ANSWER instead (last ack + TTL), which trusts the lease for one round trip
// longer than it is guaranteed. Overlaps that exist only under that reading
// are reported as findings, not violations: they show how far the usual
// client-side reckoning can be off, not a fault of the store.

import { LEASE_CLOCK_DRIFT_MAX } from '@flotilla/node';

export interface Renewal {
  /** When the grant or keep-alive was sent (ms since the test started). */
  readonly sentMs: number;
  readonly ackMs: number;
  /** The TTL the answer granted. */
  readonly ttlS: number;
}

export interface LeaseHold {
  readonly lane: string;
  /** Invocation of the attempt (the lease grant). */
  readonly invokeMs: number;
  /** Acknowledgement of the create-if-absent that took the lock; Infinity if it did not. */
  acquiredMs: number;
  /** When the holder called release (or gave up the hold); Infinity if it never held. */
  releaseMs: number;
  readonly renewals: Renewal[];
  /** held: took the lock; busy: someone else had it; fail: nothing happened; unknown: the create may or may not have applied. */
  outcome: 'held' | 'busy' | 'fail' | 'unknown';
  /** The holder learned its lease was gone before it released. */
  lostMs?: number;
  leaseId?: number;
  error?: string;
}

/** End of the hold as guaranteed by the lease (see above). */
export function safeEndMs(h: LeaseHold): number {
  return Math.min(
    h.releaseMs,
    Math.max(
      -Infinity,
      ...h.renewals.map((r) => r.sentMs + (r.ttlS * 1000) / (1 + LEASE_CLOCK_DRIFT_MAX)),
    ),
  );
}

/** End of the hold as clients usually reckon it: last keep-alive answer + TTL. */
export function ackEndMs(h: LeaseHold): number {
  return Math.min(
    h.releaseMs,
    Math.max(-Infinity, ...h.renewals.map((r) => r.ackMs + r.ttlS * 1000)),
  );
}

export interface LeaseLockCheck {
  readonly anomalies: string[];
  readonly findings: string[];
  readonly overlaps: number;
  readonly ackOnlyOverlaps: number;
}

const REPORTED_MAX = 20;

export function checkLeaseLock(holds: readonly LeaseHold[]): LeaseLockCheck {
  const held = holds
    .filter((h) => h.outcome === 'held' && Number.isFinite(h.acquiredMs))
    .sort((a, b) => a.acquiredMs - b.acquiredMs);
  const anomalies: string[] = [];
  const findings: string[] = [];
  let overlaps = 0;
  let ackOnlyOverlaps = 0;
  for (let i = 0; i < held.length; i++) {
    const a = held[i]!;
    const aSafe = safeEndMs(a);
    const aAck = ackEndMs(a);
    for (let j = i + 1; j < held.length; j++) {
      const b = held[j]!;
      if (b.acquiredMs >= Math.max(aSafe, aAck)) continue;
      const span = `${a.lane} held from ${a.acquiredMs.toFixed(0)} ms (lease ${a.leaseId ?? '?'})`;
      if (b.acquiredMs < aSafe) {
        overlaps++;
        if (overlaps <= REPORTED_MAX) {
          anomalies.push(
            `two holders at once: ${span}, its lease guaranteed until ${aSafe.toFixed(0)} ms (last renewal sent + TTL, or its release call), ` +
              `and ${b.lane} acquired at ${b.acquiredMs.toFixed(0)} ms (lease ${b.leaseId ?? '?'})`,
          );
        }
      } else {
        ackOnlyOverlaps++;
        if (ackOnlyOverlaps <= REPORTED_MAX) {
          findings.push(
            `${span} counted on its lease until ${aAck.toFixed(0)} ms (last keep-alive answer + TTL) but it was guaranteed only until ` +
              `${aSafe.toFixed(0)} ms; ${b.lane} acquired at ${b.acquiredMs.toFixed(0)} ms, in between`,
          );
        }
      }
    }
  }
  return { anomalies, findings, overlaps, ackOnlyOverlaps };
}
