// End to end on a real (single-member, LevelDB) node: the node's exactly-once
// table is made tiny, so a client's id is evicted while the client lives on.
// Its next write is refused by the state machine as session-expired (nothing
// applied); the embedded client takes a new identity and repeats the write
// once, so the caller sees one successful write, applied once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNode, type FlotillaNode } from '@flotilla/node';
import { embeddedKv, type KV } from '../src/index.js';

describe('a long-lived client whose id the server evicted', () => {
  let dir = '';
  let node: FlotillaNode;
  const clients: KV[] = [];
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-client-expiry-'));
    node = await openNode({
      id: 1,
      clusterId: 'expiry',
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0 },
      peers: {},
      initialVoters: [1],
      kvLimits: { clientsMax: 2 },
    });
    const deadline = Date.now() + 20_000;
    while (node.status().role !== 'leader') {
      if (Date.now() > deadline) throw new Error('no leader within 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await node?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const client = (clientId: string): KV => {
    const kv = embeddedKv(node, { clientId, writesInFlightMax: 1 });
    clients.push(kv);
    return kv;
  };

  it('continues under a new id: the refused write is repeated once and applied once', async () => {
    const a = client('a');
    await a.put('expiry/a', '1');
    await a.put('expiry/a', '2');
    // Three other clients push 'a.0' out of a table of two.
    for (const other of ['b', 'c', 'd']) await client(other).put(`expiry/${other}`, '1');
    const res = await a.put('expiry/a', '3');
    const got = await a.get('expiry/a');
    expect(got?.value).toEqual(new TextEncoder().encode('3'));
    expect(got?.version).toBe(3);
    expect(got?.modRevision).toBe(res.header.revision);
    await a.put('expiry/a', '4');
    expect((await a.get('expiry/a'))?.version).toBe(4);
  });
});
