// The etcd3 npm client's own Lock and Election recipes, one script run twice
// with the same client code: against a real 3-node etcd 3.4 and against a
// 3-member Flotilla (etcd's gRPC API). Each run writes a transcript of what
// the recipes did and saw (who holds, who leads, which calls failed and how,
// how many keys the recipe keeps); the two transcripts must be equal.
import './long-global.js';
import { Etcd3 } from 'etcd3';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../server/src/index.js';
import { startEtcdCluster, type EtcdCluster } from '../../testkit/src/etcd-cluster.js';

/** A bounded wait on a condition (the recipes watch for their turn). */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What a failed call looked like to the client: its class, without ids or timestamps. */
const failure = (err: unknown): string => `fails: ${(err as Error).constructor.name}`;

async function outcome<T>(call: Promise<T>, show: (v: T) => string): Promise<string> {
  try {
    return show(await call);
  } catch (err) {
    return failure(err);
  }
}

/** The recipes' script; every line of the transcript is one observation. */
async function recipes(endpoints: readonly string[]): Promise<string[]> {
  const a = new Etcd3({ hosts: [...endpoints], dialTimeout: 5_000 });
  const b = new Etcd3({ hosts: [...endpoints], dialTimeout: 5_000 });
  const seen: string[] = [];
  const keysUnder = async (prefix: string): Promise<string> =>
    `${prefix} keys: ${(await a.getAll().prefix(prefix).keys()).length}`;
  try {
    // Lock: mutual exclusion, then hand-over once released.
    const first = await a.lock('recipes/lock').ttl(10).acquire();
    seen.push('a holds the lock');
    seen.push(await keysUnder('recipes/lock'));
    seen.push(
      `b tries the lock: ${await outcome(b.lock('recipes/lock').ttl(10).acquire(), () => 'acquired')}`,
    );
    await first.release();
    seen.push(await keysUnder('recipes/lock'));
    const second = await b.lock('recipes/lock').ttl(10).acquire();
    seen.push('b holds the lock after a released it');
    await second.release();
    seen.push(await keysUnder('recipes/lock'));
    // do(): the lock held around a function, released after it.
    seen.push(
      `a.lock().do(): ${await a
        .lock('recipes/lock')
        .ttl(10)
        .do(async () => 'ran')}`,
    );
    seen.push(await keysUnder('recipes/lock'));

    // Election: the first campaigner leads, proclaims, resigns; the second takes over.
    const electionA = a.election('recipes/election', 10);
    const electionB = b.election('recipes/election', 10);
    seen.push(`leader before any campaign: ${await outcome(electionA.leader(), (l) => String(l))}`);
    const ca = electionA.campaign('a');
    await ca.wait();
    seen.push('a elected');
    const cb = electionB.campaign('b');
    let bElected = false;
    cb.on('elected', () => (bElected = true));
    // etcd3 keeps an election's candidates under election/<name>/, one key per campaign.
    const candidates = 'election/recipes/election/';
    for (let i = 0; i < 250 && (await keysUnder(candidates)) !== `${candidates} keys: 2`; i++)
      await new Promise((r) => setTimeout(r, 20));
    seen.push(await keysUnder(candidates));
    seen.push(`leader seen by b: ${await electionB.leader()}`);
    await ca.proclaim('a2');
    seen.push(`leader after proclaim: ${await electionB.leader()}`);
    seen.push(`b elected before a resigns: ${bElected}`);
    await ca.resign();
    await until('b elected', () => bElected);
    seen.push(`leader after a resigned: ${await electionA.leader()}`);
    await cb.resign();
    seen.push(`leader after both resigned: ${await outcome(electionA.leader(), (l) => String(l))}`);
    seen.push(await keysUnder(candidates));
  } catch (err) {
    throw new Error(`${(err as Error).message} (after: ${seen.join(' | ')})`);
  } finally {
    a.close();
    b.close();
  }
  return seen;
}

let etcd: EtcdCluster | undefined;
let flotilla: LocalCluster | undefined;

afterAll(async () => {
  await etcd?.stop();
  await flotilla?.close();
});

describe("etcd3's Lock and Election recipes, side by side", () => {
  it('behave the same against etcd 3.4 and against Flotilla', async () => {
    // One cluster at a time: both pick free loopback ports, and a port one of them picked but
    // had not bound yet could be taken by the other.
    etcd = await startEtcdCluster({ size: 3 });
    const onEtcd = await recipes(etcd.endpoints).catch((e) => {
      throw new Error(`on etcd: ${(e as Error).message}`);
    });
    await etcd.stop();
    etcd = undefined;
    flotilla = await startLocalCluster({ size: 3 });
    await flotilla.leader();
    const onFlotilla = await recipes(flotilla.endpoints).catch((e) => {
      throw new Error(`on Flotilla: ${(e as Error).message}`);
    });
    expect(onEtcd).toContain('a holds the lock');
    expect(onFlotilla).toEqual(onEtcd);
  }, 90_000);
});
