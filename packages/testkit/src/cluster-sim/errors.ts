import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
/** The simulation could not make progress within its virtual-time bound (a liveness failure or a harness bug). */
export class SimulationStuckError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'SimulationStuckError';
  constructor(what: string, waitedMs: number) {
    super(
      `${what} did not happen within ${waitedMs} ms of virtual time; replay the seed and inspect the cluster log`,
    );
  }
}

/** Work at one virtual instant that never lets time move on (e.g. messages answered by messages with no delay, multiplying). */
export class SimulationLivelockError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'SimulationLivelockError';
  constructor(atMs: number, steps: number) {
    super(
      `more than ${steps} simulation steps at virtual time ${atMs} ms without time moving: a livelock (messages answered by messages, or a timer re-armed with no delay); replay the seed and inspect what the nodes send`,
    );
  }
}
