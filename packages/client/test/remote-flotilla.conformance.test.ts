// The conformance suite for the remote backend against a real Flotilla
// cluster: three members in this process, each served over HTTP by
// packages/server. The client starts from one endpoint, discovers the rest and
// detects Flotilla, so every write carries the exactly-once headers.
import { startLocalCluster } from '../../server/src/index.js';
import { remoteKv } from '../src/index.js';
import { describeKvConformance } from './conformance.js';

describeKvConformance(
  'remote over HTTP (3-member Flotilla cluster behind packages/server)',
  async () => {
    const cluster = await startLocalCluster({ size: 3 });
    await cluster.leader();
    let next = 0;
    return {
      client: async () =>
        remoteKv({ endpoints: [cluster.endpoints[next++ % cluster.endpoints.length]!] }),
      stop: () => cluster.close(),
    };
  },
);
