// Membership as replicated state, on real members (LevelDB + TCP, in process):
// a member added through one member with a name and client URLs is listed
// identically by every member, also after a restart and after a snapshot
// install, though each member's own start configuration names only itself.
// The members start from data directories without a member table (as made
// before it existed) and fill it in themselves.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openNode, type FlotillaNode } from '@flotilla/node';
import { freePort } from '@flotilla/transport';
import { MemberDirectory, type DirectoryEntry } from '../src/cluster/directory.js';
import { memberIdOf } from '../src/cluster/member-id.js';
import { serveNode } from '../src/cluster/serve.js';
import type { RunningHttpServer } from '../src/http/server.js';
import { until } from './grpc-helpers.js';

const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-member-table-'));
const running = new Map<string, { node: FlotillaNode; server?: RunningHttpServer }>();

afterAll(async () => {
  for (const m of running.values()) {
    await m.server?.close();
    await m.node.close();
  }
  fs.rmSync(baseDir, { recursive: true, force: true });
});

async function entry(name: string): Promise<DirectoryEntry & { peerPort: number; port: number }> {
  const peerPort = await freePort();
  const port = await freePort();
  return {
    id: memberIdOf(name),
    name,
    peerUrls: [`http://127.0.0.1:${peerPort}`],
    clientUrls: [`http://127.0.0.1:${port}`],
    peerPort,
    port,
  };
}

type Entry = Awaited<ReturnType<typeof entry>>;

async function open(e: Entry, peers: readonly Entry[], voters: readonly Entry[]) {
  const node = await openNode({
    id: e.id,
    clusterId: 'member-table',
    dataDir: path.join(baseDir, e.name),
    listen: { host: '127.0.0.1', port: e.peerPort },
    peers: new Map(
      peers
        .filter((p) => p.id !== e.id)
        .map((p) => [p.id, { host: '127.0.0.1', port: p.peerPort }]),
    ),
    initialVoters: voters.map((v) => v.id),
    snapshotEntries: 20,
    snapshotCatchUpEntries: 0,
  });
  running.set(e.name, { node });
  return node;
}

/** Serves a member whose start configuration knows only itself (as `flotilla start` with no --initial-cluster-clients). */
async function serve(e: Entry): Promise<string> {
  const m = running.get(e.name)!;
  m.server = await serveNode({
    node: m.node,
    directory: new MemberDirectory([e]),
    port: e.port,
  });
  return m.server.url;
}

async function stop(name: string): Promise<void> {
  const m = running.get(name)!;
  running.delete(name);
  await m.server?.close();
  await m.node.close();
}

async function post(url: string, route: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${route}`, { method: 'POST', body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const memberList = async (url: string): Promise<string> =>
  JSON.stringify((await post(url, '/v3/cluster/member/list', {}))['members']);

/** Every running member lists `expected` (a JSON member list), within a bounded poll. */
async function everyMemberLists(expected: unknown[], what: string): Promise<void> {
  const want = JSON.stringify(expected);
  await until(what, async () => {
    const lists = await Promise.all(
      [...running.values()].map((m) => memberList(m.server!.url).catch(() => '')),
    );
    return lists.every((l) => l === want) ? true : undefined;
  });
}

const wire = (e: Entry, isLearner = false) => ({
  ID: String(e.id),
  name: e.name,
  peerURLs: e.peerUrls,
  clientURLs: e.clientUrls,
  ...(isLearner ? { isLearner } : {}),
});

/**
 * A node's status as of now: a node in a worker thread answers status() from
 * a copy the worker pushes, current as of its last answer, so ask it something first.
 */
async function freshStatus(node: FlotillaNode): Promise<ReturnType<FlotillaNode['status']>> {
  await node.range({ key: Buffer.from('before') }, { consistency: 'serializable' });
  return node.status();
}

/** Writes until every running founder has compacted its log past `index` (so a member behind it needs a snapshot). */
async function writeUntilCompactedPast(url: string, index: number): Promise<void> {
  let i = 0;
  await until(`every member compacts its log past ${index}`, async () => {
    for (let j = 0; j < 10; j++)
      await post(url, '/v3/kv/put', {
        key: Buffer.from(`k${i++}`).toString('base64'),
        value: Buffer.from('v').toString('base64'),
      });
    const founders = [...running.entries()].filter(([name]) => name !== 'n4');
    return founders.every(([, m]) => m.node.status().firstIndex > index + 1) ? true : undefined;
  });
}

describe('membership as replicated state', () => {
  it('every member lists the same members, with what each published and what member add recorded, after a restart and a snapshot install', async () => {
    const founders = [await entry('n1'), await entry('n2'), await entry('n3')];
    const [n1, n2, n3] = founders as [Entry, Entry, Entry];
    // Data directories with no member table: the nodes run a while before any server publishes.
    for (const e of founders) await open(e, founders, founders);
    await until('a leader', async () => {
      const leaders = new Set([...running.values()].map((m) => m.node.status().leader));
      return leaders.size === 1 && !leaders.has(0) ? true : undefined;
    });
    const first = running.get('n1')!.node;
    await first.put({ key: Buffer.from('before'), value: Buffer.from('1') });
    expect([...running.values()].every((m) => m.node.members.list().length === 0)).toBe(true);
    for (const e of founders) await serve(e);
    const sorted = (xs: ReturnType<typeof wire>[]) =>
      [...xs].sort((a, b) => Number(BigInt(a.ID) - BigInt(b.ID)));
    await everyMemberLists(sorted(founders.map((e) => wire(e))), 'the founders publish themselves');

    // Added through n2 with its name and client URL; it starts only after some log was compacted,
    // so it catches up by a snapshot, which must carry the table.
    const n4 = await entry('n4');
    const url2 = running.get('n2')!.server!.url;
    const added = await post(url2, '/v3/cluster/member/add', {
      name: 'n4',
      peerURLs: n4.peerUrls,
      clientURLs: n4.clientUrls,
      isLearner: true,
    });
    expect(added['member']).toEqual(wire(n4, true));
    await writeUntilCompactedPast(url2, (await freshStatus(running.get('n2')!.node)).appliedIndex);
    // Installs are read from the node's counter, not its 'snapshot' event: an install can finish
    // while openNode is still starting, before a listener could be added.
    const joiner = await open(n4, founders, founders);
    await serve(n4);
    const all = sorted([...founders.map((e) => wire(e)), wire(n4, true)]);
    await everyMemberLists(all, 'every member lists the learner n4');
    expect((await freshStatus(joiner)).metrics.snapshots.installed).toBeGreaterThan(0);

    // A restart: n3 comes back from its data directory after the others compacted past its log.
    // It catches up by a snapshot or by the appends the leader queued for it while it was down
    // (the TCP link keeps queued frames across a reconnect), whichever the timing gives; the
    // snapshot path is the joiner's above, whose empty log leaves no other way.
    const stoppedAt = (await freshStatus(running.get('n3')!.node)).lastIndex;
    await stop('n3');
    await writeUntilCompactedPast(url2, stoppedAt);
    const back = await open(n3, founders, founders);
    await serve(n3);
    await until('the restarted member catches up', async () =>
      (await freshStatus(back)).appliedIndex > stoppedAt ? true : undefined,
    );
    await everyMemberLists(all, 'the restarted member lists the same');

    // Promotion flips the learner flag in the table on every member.
    await post(running.get('n1')!.server!.url, '/v3/cluster/member/promote', { ID: String(n4.id) });
    await everyMemberLists(
      sorted([...founders.map((e) => wire(e)), wire(n4)]),
      'every member lists n4 as a voter',
    );
    expect(n1.id).not.toBe(n2.id);

    // Member update over the JSON gateway: n4's peer URL under another name of the loopback
    // address (the same port, so it stays reachable); every member lists it and dials it there.
    const moved = n4.peerUrls[0]!.replace('127.0.0.1', 'localhost');
    await post(url2, '/v3/cluster/member/update', { ID: String(n4.id), peerURLs: [moved] });
    await everyMemberLists(
      sorted([...founders.map((e) => wire(e)), { ...wire(n4), peerURLs: [moved] }]),
      "every member lists n4's new peer URL",
    );
    // HashKV over the JSON gateway: one hash on all four members at one revision.
    const put = await post(url2, '/v3/kv/put', { key: 'aA==', value: 'MQ==' });
    const rev = (put['header'] as { revision: string }).revision;
    const hashes = await until('every member applied the put', async () => {
      const answers = await Promise.all(
        [...running.values()].map((m) =>
          post(m.server!.url, '/v3/maintenance/hashkv', { revision: rev }).catch(() => undefined),
        ),
      );
      return answers.every((a) => a !== undefined) ? answers : undefined;
    });
    expect(new Set(hashes.map((h) => h['hash'])).size).toBe(1);
    expect(typeof hashes[0]!['hash']).toBe('number');
    await expect(post(url2, '/v3/maintenance/hashkv', { revision: '99999' })).rejects.toThrow(
      /required revision is a future revision/,
    );
  });
});
