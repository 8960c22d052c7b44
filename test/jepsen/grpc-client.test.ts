// The suite's gRPC client (the etcd3 npm client, `jepsen/src/cluster/clients.ts`)
// against a one-member in-process Flotilla served over its HTTP client port:
// register-lease's reads must arrive as lease reads (the etcd3 client has no
// such option, so the client marks its ranges with metadata), serializable
// reads must stay serializable, and nothing else may become a lease read.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../packages/server/src/index.js';
import { grpcClient } from '../../jepsen/src/cluster/clients.js';

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startLocalCluster({ size: 1 });
  await cluster.leader();
});

afterAll(async () => {
  await cluster?.close();
});

/** The consistency each range of `read` reached the node with. */
async function consistencies(read: () => Promise<unknown>): Promise<string[]> {
  const node = cluster.members[0]!.node;
  const spy = vi.spyOn(node, 'range');
  try {
    await read();
    return spy.mock.calls.map(
      (c) => (c[1] as { consistency?: string } | undefined)?.consistency ?? 'linearizable',
    );
  } finally {
    spy.mockRestore();
  }
}

describe('the gRPC client of the fault suite', () => {
  it("sends register-lease's ranges to Flotilla as lease reads", async () => {
    const kv = grpcClient(
      cluster.endpoints[0]!,
      { requestTimeoutMs: 5_000, leaseReads: true },
      true,
    );
    try {
      await kv.put('regl/k', 'v');
      expect(await consistencies(() => kv.get('regl/k'))).toEqual(['lease']);
      expect(await consistencies(() => kv.range({ prefix: 'regl/' }))).toEqual(['lease']);
      // The unsafe control's local reads stay local (the server refuses a read that is both).
      expect(
        await consistencies(() => kv.range({ key: 'regl/k', consistency: 'serializable' })),
      ).toEqual(['serializable']);
    } finally {
      await kv.close();
    }
  });

  it('leaves every other client linearizable, and never marks reads for etcd', async () => {
    const url = cluster.endpoints[0]!;
    const plain = grpcClient(url, { requestTimeoutMs: 5_000 }, true);
    const forEtcd = grpcClient(url, { requestTimeoutMs: 5_000, leaseReads: true }, false);
    try {
      expect(await consistencies(() => plain.get('regl/k'))).toEqual(['linearizable']);
      expect(await consistencies(() => forEtcd.get('regl/k'))).toEqual(['linearizable']);
    } finally {
      await plain.close();
      await forEtcd.close();
    }
  });
});
