// Runs many generated schedules through fast-check and, when one fails,
// reports its seed, its counterexample path and a one-line command that
// replays exactly that run (FLOTILLA_SIM_SEED / FLOTILLA_SIM_PATH).
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import fc from 'fast-check';
import { runRaftSchedule, type RunLimits } from './run.js';
import {
  DEFAULT_SCHEDULE_SHAPE,
  scheduleArb,
  type ScheduleShape,
  type SimStep,
} from './schedule.js';
import { emptyStats, type SimStats } from './sim-node.js';
import type { RaftSimOptions } from './options.js';

export const SEED_ENV = 'FLOTILLA_SIM_SEED';
export const PATH_ENV = 'FLOTILLA_SIM_PATH';

export interface RaftPropertyConfig {
  /** Founding voters. */
  readonly size: number;
  readonly numRuns: number;
  /** fast-check seed when the environment gives none. */
  readonly seed: number;
  /** How to replay: the test file and the test's name, for the printed command. */
  readonly testFile: string;
  readonly testName: string;
  readonly shape?: ScheduleShape;
  readonly limits?: RunLimits;
  /** Options besides seed and size (the fault injection of a self-test, say). */
  readonly sim?: Omit<RaftSimOptions, 'seed' | 'size'>;
  /** Shrink a failing schedule before reporting it (default true; off is faster, for self-tests). */
  readonly shrink?: boolean;
  /** Environment to read FLOTILLA_SIM_SEED / FLOTILLA_SIM_PATH from. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface RaftPropertySummary {
  readonly numRuns: number;
  readonly seed: number;
  readonly acknowledged: number;
  readonly electionTicksMax: number;
  readonly convergenceTicksMax: number;
  readonly stats: SimStats;
}

/** A property run found a failing schedule. The message carries the seed, the path and the replay command. */
export class RaftPropertyFailure extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'RaftPropertyFailure';
  constructor(
    readonly seed: number,
    readonly path: string,
    readonly replayCommand: string,
    readonly counterexample: readonly [SimStep[], number] | undefined,
    override readonly cause: unknown,
  ) {
    super(
      [
        `a generated schedule failed: ${String(cause)}`,
        `seed: ${seed}, path: ${path}`,
        `replay: ${replayCommand}`,
        `counterexample (sim seed ${counterexample?.[1] ?? '?'}), one step per line, ready to paste as a regression:`,
        formatSchedule(counterexample?.[0] ?? []),
      ].join('\n'),
    );
  }
}

/**
 * A schedule as a TypeScript array literal, one step per line (the form the
 * regression tests keep), so a reviewer reads it and a failure pastes as is.
 */
export function formatSchedule(steps: readonly SimStep[]): string {
  const field = (k: string, v: unknown) => `${k}: ${typeof v === 'string' ? `'${v}'` : String(v)}`;
  const lines = steps.map((s) => {
    const fields = Object.entries(s.event).map(([k, v]) => field(k, v));
    return `  { event: { ${fields.join(', ')} }, ticks: ${s.ticks} },`;
  });
  return ['[', ...lines, ']'].join('\n');
}

export function replayCommand(
  config: Pick<RaftPropertyConfig, 'testFile' | 'testName'>,
  seed: number,
  path: string,
): string {
  return `${SEED_ENV}=${seed} ${PATH_ENV}=${path} npx vitest run ${config.testFile} -t '${config.testName}'`;
}

/** The arbitrary of one run's input: a schedule and the simulation's own seed. */
export function runInputArb(
  shape: ScheduleShape = DEFAULT_SCHEDULE_SHAPE,
): fc.Arbitrary<[SimStep[], number]> {
  return fc.tuple(scheduleArb(shape), fc.nat());
}

export async function checkRaftSchedules(config: RaftPropertyConfig): Promise<RaftPropertySummary> {
  const env = config.env ?? process.env;
  const seedText = env[SEED_ENV];
  const path = env[PATH_ENV];
  const seed = seedText === undefined || seedText === '' ? config.seed : Number(seedText);
  const stats = emptyStats();
  let acknowledged = 0;
  let electionTicksMax = 0;
  let convergenceTicksMax = 0;
  const property = fc.asyncProperty(runInputArb(config.shape), async ([steps, simSeed]) => {
    const r = await runRaftSchedule(
      { ...config.sim, seed: simSeed, size: config.size },
      steps,
      config.limits,
    );
    acknowledged += r.acknowledged;
    electionTicksMax = Math.max(electionTicksMax, r.electionTicks);
    convergenceTicksMax = Math.max(convergenceTicksMax, r.convergenceTicks);
    for (const k of Object.keys(stats) as (keyof SimStats)[]) stats[k] += r.cluster.stats[k];
  });
  const replaying = path !== undefined && path !== '';
  const details = await fc.check(property, {
    // A replay runs the one schedule the path names (and shrinks it again if it still fails).
    numRuns: replaying ? 1 : config.numRuns,
    seed,
    endOnFailure: config.shrink === false,
    ...(replaying ? { path } : {}),
  });
  if (details.failed) {
    const failPath = details.counterexamplePath ?? '';
    const failure = new RaftPropertyFailure(
      details.seed,
      failPath,
      replayCommand(config, details.seed, failPath),
      details.counterexample?.[0],
      details.errorInstance,
    );
    console.error(failure.message);
    throw failure;
  }
  return {
    numRuns: details.numRuns,
    seed: details.seed,
    acknowledged,
    electionTicksMax,
    convergenceTicksMax,
    stats,
  };
}
