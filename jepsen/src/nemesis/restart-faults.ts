// Restart faults (clock skew, slow disk, failing disk): the victim is stopped
// and started again with `flotilla start`'s TEST ONLY flags for the fault
// window, then restarted without them at heal. A process cannot have its clock
// or disk changed from outside, so a restart is the price; the stop is a
// SIGTERM or a SIGKILL (from the pick), so both a clean and a crash restart are
// exercised. A failing disk ends the victim by itself (its node stops on the
// first failed log write and the member exits 1), as a supervisor would see.
import { LEASE_CLOCK_DRIFT_MAX } from '@flotilla/node';
import type { FaultKind } from './faults.js';

export type RestartFaultKind = Extract<
  FaultKind,
  `clock-${string}` | `slow-disk-${string}` | `failing-disk-${string}`
>;

export function isRestartFault(kind: FaultKind): kind is RestartFaultKind {
  return (
    kind.startsWith('clock-') || kind.startsWith('slow-disk-') || kind.startsWith('failing-disk-')
  );
}

/**
 * Skews of the `clock` group: fast and slow oscillators within the drift the
 * leader lease assumes (±LEASE_CLOCK_DRIFT_MAX, see docs/architecture.md), and
 * forward/backward jumps (a backward jump makes the node's monotonic clock
 * stand still until real time catches up). Lease reads and lease expiry are
 * promised to hold under these.
 */
export const CLOCK_SKEWS: readonly ClockSkewPick[] = [
  { rate: 1 + LEASE_CLOCK_DRIFT_MAX, offsetMs: 0 },
  { rate: 1 - LEASE_CLOCK_DRIFT_MAX, offsetMs: 0 },
  { rate: 1, offsetMs: 30_000 },
  { rate: 1, offsetMs: -2_000 },
  { rate: 1 + LEASE_CLOCK_DRIFT_MAX / 2, offsetMs: 5_000 },
  { rate: 1 - LEASE_CLOCK_DRIFT_MAX / 2, offsetMs: -1_000 },
];

/**
 * Skews of the `clock-extreme` group, far beyond that drift: a fast follower
 * calls early elections; a slow leader over-trusts its own timers. ReadIndex
 * reads, writes and watches must stay correct; lease reads and lease expiry
 * are not promised to (run.ts refuses them together).
 */
export const CLOCK_SKEWS_EXTREME: readonly ClockSkewPick[] = [
  { rate: 2, offsetMs: 0 },
  { rate: 0.5, offsetMs: 0 },
  { rate: 1.5, offsetMs: 5_000 },
  { rate: 0.75, offsetMs: -1_000 },
];

interface ClockSkewPick {
  readonly rate: number;
  readonly offsetMs: number;
}

/** Delays after every synced write: a tired SSD to a congested network disk. */
export const FSYNC_DELAYS_MS: readonly number[] = [10, 30, 80];

/** How long into the window the failing disk starts failing: at once, or with writes in flight. */
export const FAIL_WRITES_AFTER_MS: readonly number[] = [0, 500, 2_000];

export interface RestartFault {
  /** Extra `flotilla start` flags for the window. */
  readonly args: readonly string[];
  /** How the victim is stopped before the faulty start (and again at heal: always SIGTERM then). */
  readonly stopSignal: 'SIGTERM' | 'SIGKILL';
  readonly detail: string;
}

/** What a restart fault does, from its window's pick number (different bits choose the parameter and the signal). */
export function restartFault(kind: RestartFaultKind, pick: number): RestartFault {
  const stopSignal = (pick >> 4) % 2 === 0 ? 'SIGTERM' : 'SIGKILL';
  if (kind.startsWith('clock-')) {
    const skews = kind.startsWith('clock-extreme') ? CLOCK_SKEWS_EXTREME : CLOCK_SKEWS;
    const skew = skews[(pick >> 5) % skews.length] as ClockSkewPick;
    // `=` keeps a negative offset a value, not a flag, for the CLI's parser.
    return {
      args: ['--test-clock-rate', String(skew.rate), `--test-clock-offset-ms=${skew.offsetMs}`],
      stopSignal,
      detail: `clock rate ×${skew.rate}, offset ${skew.offsetMs} ms`,
    };
  }
  if (kind.startsWith('failing-disk-')) {
    const afterMs = FAIL_WRITES_AFTER_MS[(pick >> 5) % FAIL_WRITES_AFTER_MS.length] as number;
    return {
      args: ['--test-fail-writes-after-ms', String(afterMs)],
      stopSignal,
      detail: `log writes failing (EIO) from ${afterMs} ms after start; the member exits 1 on the first`,
    };
  }
  const delayMs = FSYNC_DELAYS_MS[(pick >> 5) % FSYNC_DELAYS_MS.length] as number;
  return {
    args: ['--test-fsync-delay-ms', String(delayMs)],
    stopSignal,
    detail: `fsync +${delayMs} ms`,
  };
}
