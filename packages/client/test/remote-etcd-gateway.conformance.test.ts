// The conformance suite for the remote backend against etcd's own JSON
// gateway (the wire format Flotilla's server follows), on a real 3-node
// etcd 3.4 cluster. etcd ignores the exactly-once headers; the client detects that it is not Flotilla.
import { remoteKv } from '../src/index.js';
import { startEtcdCluster } from '../../testkit/src/etcd-cluster.js';
import { describeKvConformance } from './conformance.js';

describeKvConformance('remote over HTTP (3-node etcd JSON gateway)', async () => {
  const cluster = await startEtcdCluster({ size: 3 });
  return {
    // Defaults: discovery finds the other two members, 'auto' finds etcd's version and keeps exactly-once off.
    client: async () => remoteKv({ endpoints: [cluster.endpoints[0]!] }),
    stop: () => cluster.stop(),
  };
});
