// The Raft core simulation: a deterministic cluster of RawNodes on virtual
// time, fault schedules, a reusable invariant checker, and the property runner.
// Internals included, for this package's tests; the public part is listed by
// name in src/index.ts.
export { RaftInvariantChecker, type NodeStateObservation } from './raft-sim/invariants.js';
export { LogMirror, type LogView } from './raft-sim/log-mirror.js';
export { entryKey, chainNext, CHAIN_START } from './raft-sim/entry-key.js';
export {
  SafetyViolationError,
  LivenessError,
  SimulationError,
  type RaftInvariant,
} from './raft-sim/errors.js';
export {
  resolveSimOptions,
  deriveSeed,
  CLUSTER_SIZE_MIN,
  CLUSTER_SIZE_MAX,
  type RaftSimOptions,
  type ResolvedSimOptions,
  type FaultInjection,
} from './raft-sim/options.js';
export { RaftSimCluster } from './raft-sim/cluster.js';
export {
  SimNode,
  emptyStats,
  type Acknowledged,
  type NodeEnv,
  type SimStats,
} from './raft-sim/sim-node.js';
export { applyEvent, VOTERS_MIN, type EventCounters } from './raft-sim/events.js';
export {
  simEventArb,
  scheduleArb,
  DEFAULT_SCHEDULE_SHAPE,
  type SimEvent,
  type SimStep,
  type PartitionShape,
  type ConfOp,
  type ScheduleShape,
} from './raft-sim/schedule.js';
export { runRaftSchedule, type RunLimits, type RaftSimReport } from './raft-sim/run.js';
export {
  checkRaftSchedules,
  replayCommand,
  runInputArb,
  RaftPropertyFailure,
  formatSchedule,
  SEED_ENV,
  PATH_ENV,
  type RaftPropertyConfig,
  type RaftPropertySummary,
} from './raft-sim/property.js';
