// The contract between the runner and a workload: run clients until the end
// of the test, read the final state once every fault is healed, then judge
// what the clients observed. Everything a workload reports is data.
import type { Rng } from '../rng.js';
import type { Target } from '../cluster/target.js';
import type { FaultKind } from '../nemesis/faults.js';

export interface RunContext {
  readonly target: Target;
  readonly rng: Rng;
  /** Milliseconds since the test started. */
  now(): number;
  /** When the clients stop issuing operations (ms since start). */
  readonly endMs: number;
  readonly requestTimeoutMs: number;
  /** Clients per node. */
  readonly clientsPerNode: number;
  /**
   * The deliberately unsafe configuration: reads are served locally by the
   * member the client talks to (`serializable`) but recorded as linearizable.
   */
  readonly unsafeReads: boolean;
}

/** One operation as drawn on the report's timeline. */
export interface TimelineOp {
  readonly id: string;
  /** Timeline row: `<node>/<worker>`. */
  readonly lane: string;
  readonly invokeMs: number;
  /** Infinity while unknown. */
  readonly completeMs: number;
  readonly outcome: 'ok' | 'fail' | 'unknown';
  /** Short text for the tooltip: what was asked and what was seen. */
  readonly label: string;
}

export interface WorkloadVerdict {
  readonly workload: string;
  /** true: valid; false: an anomaly; 'unknown': the checker could not decide (budget). */
  readonly valid: boolean | 'unknown';
  readonly stats: Record<string, number>;
  /** Plain-text explanation of each anomaly (empty when valid). */
  readonly anomalies: readonly string[];
  /** Observations worth reading that do not make the run invalid (e.g. lock holders overlapping). */
  readonly findings?: readonly string[];
  /** The smallest failing sub-history, when the checker has one: rows for the report. */
  readonly failingOps?: readonly FailingOpRow[];
}

export interface FailingOpRow {
  readonly id: string;
  readonly lane: string;
  readonly invokeMs: number;
  readonly completeMs: number;
  readonly outcome: string;
  readonly op: string;
  readonly saw: string;
  readonly culprit: boolean;
}

export interface Workload {
  readonly name: string;
  /** Faults the schedule must contain when the run's nemeses allow them (what the workload is about). */
  readonly requiredFaults?: readonly FaultKind[];
  run(ctx: RunContext): Promise<void>;
  /** Final reads on the healed cluster. */
  final(ctx: RunContext): Promise<void>;
  check(): WorkloadVerdict;
  timeline(): readonly TimelineOp[];
}

export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Pacing between a client's operations (not a synchronisation wait). */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Attempts at a marker write (below); the last error is thrown. */
export const MARKER_WRITE_ATTEMPTS = 5;

/**
 * A write that is not part of any checked history and whose repetition is
 * harmless (a constant value whose revision only bounds what is read, like the
 * watch workload's `base` and `end` keys), repeated until one is acknowledged.
 * Over gRPC the client never repeats a write whose answer was lost (and over
 * HTTP the retry budget can run out), so one lost answer must not end the run.
 */
export async function writeMarker<T>(
  write: () => Promise<T>,
  attempts = MARKER_WRITE_ATTEMPTS,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await pause(200 * attempt);
    }
  }
}
