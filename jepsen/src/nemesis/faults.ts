// The nemesis' faults: what each does to the cluster, as plain data first
// (a schedule of windows drawn from the seed), then applied to a Target.
import type { Rng } from '../rng.js';

export const FAULT_KINDS = [
  'partition-halves',
  'partition-isolate-leader',
  'partition-ring',
  'partition-bridge',
  'partition-one-way',
  'kill-one',
  'kill-leader',
  'kill-minority',
  'pause-one',
  'pause-leader',
  'clock-skew-one',
  'clock-skew-leader',
  'clock-extreme-one',
  'clock-extreme-leader',
  'slow-disk-one',
  'slow-disk-leader',
  'failing-disk-one',
  'failing-disk-leader',
  'churn-one',
  'churn-leader',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** `--nemesis` names: a group (all its kinds) or one kind. */
export const NEMESIS_GROUPS: Readonly<Record<string, readonly FaultKind[]>> = {
  partition: [
    'partition-halves',
    'partition-isolate-leader',
    'partition-ring',
    'partition-bridge',
    'partition-one-way',
  ],
  kill: ['kill-one', 'kill-leader', 'kill-minority'],
  pause: ['pause-one', 'pause-leader'],
  // Restart faults: the victim is restarted with `flotilla start`'s TEST ONLY flags for the window (Flotilla only).
  // Clock rates within the drift the leader lease assumes (±LEASE_CLOCK_DRIFT_MAX); in the default mix.
  clock: ['clock-skew-one', 'clock-skew-leader'],
  // Rates far beyond it (×0.5 … ×2): only with workloads that trust no clock (not register-lease or lease-lock).
  'clock-extreme': ['clock-extreme-one', 'clock-extreme-leader'],
  'slow-disk': ['slow-disk-one', 'slow-disk-leader'],
  // The victim's log writes fail (EIO) a moment into the window: it stops itself and its process exits 1.
  'failing-disk': ['failing-disk-one', 'failing-disk-leader'],
  // Remove a member (a seeded one, or the leader) and re-add it under its name at the end of the window (Flotilla only).
  churn: ['churn-one', 'churn-leader'],
  none: [],
};

export class UnknownNemesisError extends Error {
  override readonly name = 'UnknownNemesisError';
  constructor(name: string) {
    super(
      `unknown nemesis "${name}"; use a group (${Object.keys(NEMESIS_GROUPS).join(', ')}) or a fault (${FAULT_KINDS.join(', ')}), comma-separated`,
    );
  }
}

export function resolveNemeses(names: readonly string[]): FaultKind[] {
  const out = new Set<FaultKind>();
  for (const name of names) {
    const group = NEMESIS_GROUPS[name];
    if (group) group.forEach((k) => out.add(k));
    else if ((FAULT_KINDS as readonly string[]).includes(name)) out.add(name as FaultKind);
    else throw new UnknownNemesisError(name);
  }
  return [...out];
}

/** One scheduled fault window; `pick` is a seeded number that chooses nodes when the fault starts. */
export interface FaultWindow {
  readonly kind: FaultKind;
  readonly startMs: number;
  readonly endMs: number;
  readonly pick: number;
}

export interface ScheduleOptions {
  readonly kinds: readonly FaultKind[];
  readonly durationMs: number;
  /** Quiet time at the start and before the end of the client phase. */
  readonly quietMs?: number;
  readonly faultMsMin?: number;
  readonly faultMsMax?: number;
  readonly gapMsMin?: number;
  readonly gapMsMax?: number;
  /**
   * Kinds the schedule must contain (those also in `kinds`): when the draw left
   * one out, it replaces a drawn window, spread over the run. A schedule that
   * needs nothing is drawn exactly as before this option existed.
   */
  readonly required?: readonly FaultKind[];
}

/** Fault windows drawn from the seed: fault, heal, quiet, next fault. */
export function scheduleFaults(rng: Rng, o: ScheduleOptions): FaultWindow[] {
  const windows: FaultWindow[] = [];
  if (o.kinds.length === 0) return windows;
  const quietMs = o.quietMs ?? 2_000;
  let t = quietMs;
  for (;;) {
    const length = rng.int(o.faultMsMin ?? 3_000, o.faultMsMax ?? 8_000);
    if (t + length > o.durationMs - quietMs) break;
    windows.push({
      kind: rng.pick(o.kinds),
      startMs: t,
      endMs: t + length,
      pick: rng.int(0, 1_000_000),
    });
    t += length + rng.int(o.gapMsMin ?? 2_000, o.gapMsMax ?? 4_000);
  }
  return withRequired(
    windows,
    (o.required ?? []).filter((k) => o.kinds.includes(k)),
  );
}

/** Missing required kinds replace windows at 1/(m+1), 2/(m+1), … of the schedule, never the same window twice. */
function withRequired(windows: FaultWindow[], required: readonly FaultKind[]): FaultWindow[] {
  const missing = required.filter((k) => !windows.some((w) => w.kind === k));
  const out = [...windows];
  const taken = new Set<number>();
  missing.forEach((kind, i) => {
    let at = Math.floor(((i + 1) * out.length) / (missing.length + 1));
    while (taken.has(at) || required.includes(out[at]?.kind as FaultKind)) at++;
    if (at >= out.length) return; // fewer windows than required kinds: the run is too short
    taken.add(at);
    out[at] = { ...out[at]!, kind };
  });
  return out;
}

/** A permutation of 0..n-1 from a pick number. */
export function permutation(n: number, pick: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  let x = pick + 1;
  for (let i = n - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

/** All directed links between the two groups, both ways. */
export function cut(a: readonly number[], b: readonly number[]): [number, number][] {
  return a.flatMap((x) =>
    b.flatMap(
      (y) =>
        [
          [x, y],
          [y, x],
        ] as [number, number][],
    ),
  );
}

/** The directed links a partition shape blocks; `leader` is the node it centres on where the shape needs one. */
export function partitionLinks(
  kind: FaultKind,
  n: number,
  pick: number,
  leader: number,
): [number, number][] {
  const perm = permutation(n, pick);
  const others = perm.filter((x) => x !== leader);
  switch (kind) {
    case 'partition-halves': {
      const half = Math.floor(n / 2);
      return cut(perm.slice(0, half), perm.slice(half));
    }
    case 'partition-isolate-leader':
      return cut([leader], others);
    case 'partition-ring': {
      // Each node keeps links to its two ring neighbours only: every node sees a majority (of 5), but no two see the same one.
      const blocked: [number, number][] = [];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const d = Math.abs(i - j);
          if (i !== j && d !== 1 && d !== n - 1)
            blocked.push([perm[i] as number, perm[j] as number]);
        }
      }
      return blocked;
    }
    case 'partition-bridge': {
      // perm[0] bridges two sides that cannot see each other.
      const rest = perm.slice(1);
      const half = Math.floor(rest.length / 2);
      return cut(rest.slice(0, half), rest.slice(half));
    }
    case 'partition-one-way':
      // The leader still hears everyone but nobody hears it.
      return others.map((o) => [leader, o] as [number, number]);
    default:
      throw new RangeError(`${kind} is not a partition`);
  }
}

/** The nodes a kill or pause fault hits. */
export function victims(kind: FaultKind, n: number, pick: number, leader: number): number[] {
  const perm = permutation(n, pick);
  switch (kind) {
    case 'kill-one':
    case 'pause-one':
    case 'clock-skew-one':
    case 'clock-extreme-one':
    case 'slow-disk-one':
    case 'failing-disk-one':
      return [perm[0] as number];
    case 'kill-leader':
    case 'pause-leader':
    case 'clock-skew-leader':
    case 'clock-extreme-leader':
    case 'slow-disk-leader':
    case 'failing-disk-leader':
      return [leader];
    case 'kill-minority':
      return perm.slice(0, Math.floor((n - 1) / 2));
    default:
      throw new RangeError(`${kind} does not hit processes`);
  }
}
