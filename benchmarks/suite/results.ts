// The shape of one run's JSON (benchmarks/results/suite-*.json).
import type { LoadRecord } from './context.js';
import type { Mode, Settings, TargetName } from './flags.js';
import type { AblationResult } from './scenarios/ablations.js';
import type { ClientFailoverResult } from './scenarios/client-failover.js';
import type { FailoverResult } from './scenarios/failover.js';
import type { MemoryResult } from './scenarios/memory.js';
import type { ReadRecord } from './scenarios/reads.js';
import type { StateResult } from './scenarios/state.js';
import type { MachineSetup } from './setup.js';

export interface TargetResults {
  readonly name: TargetName;
  sequential?: LoadRecord;
  sweep?: LoadRecord[];
  state?: StateResult;
  reads?: ReadRecord[];
  failover?: FailoverResult[];
  /** Client-seen failover (remote targets only). */
  clientFailover?: ClientFailoverResult;
  memory?: MemoryResult[];
  /** Scenarios that failed to run, with the error. */
  errors: string[];
}

export interface Goal {
  readonly id: string;
  readonly text: string;
  readonly measured: string;
  /** null: not measured in this run (scenario or target not run). */
  readonly met: boolean | null;
}

export interface SuiteResult {
  readonly suite: 'flotilla-replication-bench';
  readonly formatVersion: 1;
  readonly mode: Mode;
  readonly setup: MachineSetup;
  readonly settings: Settings;
  readonly targets: TargetResults[];
  readonly ablations?: AblationResult[];
  readonly goals: readonly Goal[];
  readonly failures: readonly string[];
  readonly durationS: number;
  /** Load average when the run ended. */
  readonly loadAverageEnd1m: number;
}
