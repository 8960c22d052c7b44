// @flotilla/testkit: the tools Flotilla is tested with. The Raft core
// simulator, the whole-cluster simulator, the history recorder and
// linearizability checker (also used by the real-process fault suite), a real
// etcd cluster for side-by-side tests, and a Prometheus exposition checker.
// Their building blocks (simulated nodes, runtimes, stations, entry keys) are
// internal; the package's own tests import them by path.

// The Raft core simulation.
export {
  LivenessError,
  SafetyViolationError,
  SimulationError,
  type RaftInvariant,
} from './raft-sim/errors.js';
export { RaftInvariantChecker, type NodeStateObservation } from './raft-sim/invariants.js';
export { RaftSimCluster } from './raft-sim/cluster.js';
export { LogMirror, type LogView } from './raft-sim/log-mirror.js';
export {
  CLUSTER_SIZE_MAX,
  CLUSTER_SIZE_MIN,
  type FaultInjection,
  type RaftSimOptions,
  type ResolvedSimOptions,
} from './raft-sim/options.js';
export {
  checkRaftSchedules,
  PATH_ENV,
  RaftPropertyFailure,
  replayCommand,
  SEED_ENV,
  type RaftPropertyConfig,
  type RaftPropertySummary,
} from './raft-sim/property.js';
export { runRaftSchedule, type RaftSimReport, type RunLimits } from './raft-sim/run.js';
export {
  DEFAULT_SCHEDULE_SHAPE,
  scheduleArb,
  simEventArb,
  type ConfOp,
  type PartitionShape,
  type ScheduleShape,
  type SimEvent,
  type SimStep,
} from './raft-sim/schedule.js';
export {
  SimNode,
  type Acknowledged,
  type NodeEnv,
  type SimStats,
} from './raft-sim/sim-node.js';

// The whole-cluster simulation.
export {
  NoLeaderNowError,
  SimCluster,
  type ClusterOptions,
  type DiskLatency,
} from './cluster-sim/cluster.js';
export type { WorkloadOptions } from './cluster-sim/client.js';
export { SimulationLivelockError, SimulationStuckError } from './cluster-sim/errors.js';
export type { LockOptions } from './cluster-sim/lock.js';
export { flotillaStarter } from './cluster-sim/node-adapter.js';
export {
  DEFAULT_CLOCK_DRIFT,
  DEFAULT_SIMULATION,
  isUnsafe,
  PLAIN_SIMULATION,
  runSimulation,
  type SimulationOptions,
  type SimulationResult,
} from './cluster-sim/run.js';
export {
  describeFault,
  faultScheduleArb,
  type ClusterPartitionShape,
  type Fault,
  type FaultSchedule,
  type FaultScheduleArbOptions,
  type Target,
  type TimedFault,
} from './cluster-sim/schedule.js';
export { SimRuntime } from './cluster-sim/runtime.js';
export type {
  NodeStarter,
  ReadConsistency,
  Session,
  SimulatedNode,
  SimulatedNodeParams,
  SimulatedNodeStatus,
} from './cluster-sim/sim-node.js';

// Histories and the checkers.
export {
  checkLinearizable,
  type CheckOptions,
  type CheckResult,
  type PartitionViolation,
} from './checker/check.js';
export type { Model } from './checker/model.js';
export {
  checkMutex,
  describeHold,
  formatMutexViolations,
  type LockHold,
  type MutexViolation,
} from './checker/mutex.js';
export {
  describeRegisterOp,
  registerModel,
  type RegisterState,
  type RegisterStates,
} from './checker/register-model.js';
export { formatCheckResult } from './checker/report.js';
export { HistoryFullError, ProcessBusyError, UnknownOperationError } from './history/errors.js';
export { HistoryRecorder, type HistoryRecorderOptions } from './history/recorder.js';
export type {
  CasExpectation,
  Outcome,
  RegisterInput,
  RegisterOp,
  RegisterOpKind,
  RegisterResult,
  TimedOp,
} from './history/types.js';
export { shrinkViolation, type ShrinkOptions, type ShrinkResult } from './jepsen/shrink.js';

// A real etcd cluster, for side-by-side tests and benchmarks.
export {
  EtcdNotInstalledError,
  findEtcdBinary,
  startEtcdCluster,
  type EtcdCluster,
  type EtcdClusterOptions,
  type EtcdMember,
} from './etcd-cluster.js';

// Prometheus exposition (/metrics pages).
export {
  checkExposition,
  ExpositionError,
  histogramQuantile,
  histogramSeries,
  type ExpositionFamily,
  type ExpositionSample,
  type ExpositionType,
  type HistogramSeries,
} from './exposition-check.js';
