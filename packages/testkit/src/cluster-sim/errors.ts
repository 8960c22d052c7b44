/** The simulation could not make progress within its virtual-time bound (a liveness failure or a harness bug). */
export class SimulationStuckError extends Error {
  override readonly name = 'SimulationStuckError';
  constructor(what: string, waitedMs: number) {
    super(`${what} did not happen within ${waitedMs} ms of virtual time; replay the seed and inspect the cluster log`);
  }
}
