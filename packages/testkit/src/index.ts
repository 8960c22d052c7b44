export * from './raft-sim.js';
export * from './cluster.js';
export * from './jepsen/index.js';
export * from './etcd-cluster.js';
export * from './exposition-check.js';
