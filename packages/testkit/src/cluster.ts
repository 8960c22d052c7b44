// Everything of the history recorder, the linearizability checker and the
// whole-cluster simulation, internals included, for this package's tests and
// test/jepsen. The public part is listed by name in src/index.ts.
export * from './history/types.js';
export * from './history/errors.js';
export * from './history/recorder.js';
export * from './checker/model.js';
export * from './checker/search.js';
export * from './checker/check.js';
export * from './checker/register-model.js';
export * from './checker/report.js';
export * from './checker/mutex.js';
export * from './cluster-sim/errors.js';
export * from './cluster-sim/runtime.js';
export * from './cluster-sim/pausable-clock.js';
export * from './cluster-sim/sim-node.js';
export * from './cluster-sim/schedule.js';
export * from './cluster-sim/client.js';
export * from './cluster-sim/cluster.js';
export * from './cluster-sim/nemesis.js';
export * from './cluster-sim/station.js';
export * from './cluster-sim/lock.js';
export * from './cluster-sim/run.js';
export * from './cluster-sim/node-adapter.js';
