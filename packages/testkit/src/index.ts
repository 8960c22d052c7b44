export * from './raft-sim.js';
export * from './etcd-cluster.js';
