// The conformance suite against a real 3-node etcd 3.4 cluster on loopback,
// through the etcd backend (etcd3, gRPC).
import { etcdKv } from '../src/etcd/index.js';
import { startEtcdCluster } from '../../testkit/src/etcd-cluster.js';
import { describeKvConformance } from './conformance.js';

describeKvConformance('etcd (3-node etcd cluster, etcd3 gRPC)', async () => {
  const cluster = await startEtcdCluster({ size: 3 });
  return {
    client: async () => etcdKv({ endpoints: cluster.endpoints }),
    stop: () => cluster.stop(),
  };
});
