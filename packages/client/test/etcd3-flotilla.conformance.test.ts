// The conformance suite through the etcd backend (the etcd3 npm client over
// gRPC) against a Flotilla cluster: the same tests, the same client code as
// against a real etcd 3.4 (etcd.conformance.test.ts), so a program written
// for etcd runs against Flotilla unchanged.
import { startLocalCluster } from '../../server/src/index.js';
import { etcdKv } from '../src/etcd/index.js';
import { describeKvConformance } from './conformance.js';

describeKvConformance(
  'etcd3 over gRPC (3-member Flotilla cluster behind packages/server)',
  async () => {
    const cluster = await startLocalCluster({ size: 3 });
    await cluster.leader();
    return {
      client: async () => etcdKv({ endpoints: [...cluster.endpoints] }),
      stop: () => cluster.close(),
    };
  },
);
