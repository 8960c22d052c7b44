// End to end: a write whose answer is lost after the server applied it.
// Against Flotilla the client retries with the same client id and seq and the
// server applies it once; against etcd (no such headers) the client does not
// retry and reports ClientUnknownOutcomeError. The key's version tells how often
// the write was applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientUnknownOutcomeError, remoteKv } from '../src/index.js';
import type { KV } from '../src/index.js';
import { startLocalCluster, type LocalCluster } from '../../server/src/index.js';
import { startEtcdCluster, type EtcdCluster } from '../../testkit/src/etcd-cluster.js';
import { lossyProxy, type LossyProxy } from './lossy-proxy.js';

const loseFirstPut = () => {
  let lost = false;
  return (path: string) => {
    if (path !== '/v3/kv/put' || lost) return false;
    lost = true;
    return true;
  };
};

describe('a write whose answer is lost', () => {
  let flotilla: LocalCluster;
  let etcd: EtcdCluster;
  const cleanup: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    // One after the other: both pick free ports before binding them, so starting them together could collide.
    flotilla = await startLocalCluster({ size: 3 });
    etcd = await startEtcdCluster({ size: 1 });
    await flotilla.leader();
  });
  afterAll(async () => {
    for (const c of cleanup) await c();
    await flotilla?.close();
    await etcd?.stop();
  });

  async function through(target: string): Promise<{ proxy: LossyProxy; kv: KV; direct: KV }> {
    const proxy = await lossyProxy(target, loseFirstPut());
    const kv = remoteKv({ endpoints: [proxy.url], discover: false });
    const direct = remoteKv({ endpoints: [target], discover: false });
    cleanup.push(
      () => kv.close(),
      () => direct.close(),
      () => proxy.close(),
    );
    return { proxy, kv, direct };
  }

  it('is retried with the same client id and seq on Flotilla and applied exactly once', async () => {
    const { proxy, kv, direct } = await through(flotilla.endpoints[0]!);
    const before = (await direct.status()).revision;
    const res = await kv.put('eo/flotilla', 'v');
    const puts = proxy.forwarded.filter((f) => f.path === '/v3/kv/put');
    expect(puts).toHaveLength(2);
    expect(puts[0]?.clientId).toBeDefined();
    expect(puts[1]).toEqual(puts[0]);
    const got = await direct.get('eo/flotilla');
    expect(got?.version).toBe(1);
    expect(res.header.revision).toBe(got?.modRevision);
    expect((await direct.status()).revision).toBe(before + 1);
  });

  it('is not retried on etcd, which has no exactly-once headers, and surfaces ClientUnknownOutcomeError', async () => {
    const { proxy, kv, direct } = await through(etcd.endpoints[0]!);
    await expect(kv.put('eo/etcd', 'v')).rejects.toBeInstanceOf(ClientUnknownOutcomeError);
    expect(proxy.forwarded.filter((f) => f.path === '/v3/kv/put')).toHaveLength(1);
    expect(proxy.forwarded[0]?.clientId).toBeUndefined();
    expect((await direct.get('eo/etcd'))?.version).toBe(1);
  });
});
