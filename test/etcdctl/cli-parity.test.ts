// `flotilla <cmd>` and the real `etcdctl <cmd>` (3.4) against the SAME
// one-member Flotilla: etcdctl reaches it over gRPC, the flotilla CLI over
// the HTTP gateway, so the two print the same data and their text is compared
// as it is. Reads are compared byte for byte; a write is run by each tool on
// the same state (set up the same way before each), and only the revisions
// differ, since the second write comes later. The cluster id is a uint64
// above 2^53, so the header's digits must be passed through exactly.
// Needs the build (`npx tsc -b tsconfig.build.json`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessCluster } from '../../packages/server/src/demo/process-cluster.js';
import { runCli, startHealthyCluster } from '../cli/run-cli.js';
import { etcdctl } from './run-etcdctl.js';

let dir: string;
let cluster: ProcessCluster;
/** host:port, as both tools are given it. */
let endpoint: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-parity-'));
  cluster = await startHealthyCluster(dir, { size: 1 });
  endpoint = new URL(cluster.endpoints[0]!).host;
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function viaEtcdctl(args: readonly string[]): Promise<string> {
  const r = await etcdctl([endpoint], args);
  expect(r.stderr, `etcdctl ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function viaFlotilla(args: readonly string[]): Promise<string> {
  const r = await runCli(['--endpoints', endpoint, ...args]);
  expect(r.stderr, `flotilla ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Both tools' output of one read: nothing changes in between, so the text must be identical. */
async function expectSameRead(args: readonly string[]): Promise<string> {
  const fromEtcdctl = await viaEtcdctl(args);
  expect(await viaFlotilla(args), `flotilla ${args.join(' ')}`).toBe(fromEtcdctl);
  return fromEtcdctl;
}

/** Revisions as placeholders: the one thing two equal writes made one after the other differ in. */
const revisionsOut = (s: string): string =>
  s.replace(/"(revision|create_revision|mod_revision)":\d+/g, '"$1":<rev>');

/** The same write from the same state: `setup` (etcdctl commands) runs before each tool's write. */
async function expectSameWrite(
  setup: readonly (readonly string[])[],
  args: readonly string[],
  alsoOut: (s: string) => string = (s) => s,
): Promise<string> {
  for (const step of setup) await viaEtcdctl(step);
  const fromEtcdctl = await viaEtcdctl(args);
  for (const step of setup) await viaEtcdctl(step);
  const fromFlotilla = await viaFlotilla(args);
  const out = (s: string): string => alsoOut(revisionsOut(s));
  expect(out(fromFlotilla), `flotilla ${args.join(' ')}`).toBe(out(fromEtcdctl));
  expect(fromFlotilla).not.toBe(fromEtcdctl); // the revisions did move: the write was made twice
  return fromEtcdctl;
}

describe('flotilla -w json and tables print what etcdctl prints', () => {
  it('get -w json: the full header, int64s as numbers, with --prefix, --rev, --keys-only, --limit', async () => {
    await viaEtcdctl(['put', 'a', '1']);
    await viaEtcdctl(['put', 'b', 'two']);
    await viaEtcdctl(['put', 'a', '3']);
    const one = await expectSameRead(['get', 'a', '-w', 'json']);
    // The uint64 cluster id is printed as a number, all its digits.
    expect(one).toMatch(
      /^\{"header":\{"cluster_id":\d{15,20},"member_id":\d+,"revision":4,"raft_term":\d+\},"kvs":\[\{"key":"YQ==","create_revision":2,"mod_revision":4,"version":2,"value":"Mw=="\}\],"count":1\}\n$/,
    );
    await expectSameRead(['get', '', '--prefix', '-w', 'json']);
    await expectSameRead(['get', 'a', '--rev', '2', '-w', 'json']);
    await expectSameRead(['get', 'a', 'c', '--keys-only', '-w', 'json']);
    await expectSameRead(['get', '', '--prefix', '--limit', '1', '-w', 'json']);
    await expectSameRead(['get', 'missing', '-w', 'json']);
  });

  it('get "" --prefix lists every key (simple format)', async () => {
    const all = await expectSameRead(['get', '', '--prefix']);
    expect(all).toBe('a\n3\nb\ntwo\n');
  });

  it('put -w json, with and without --prev-kv', async () => {
    await expectSameWrite([], ['put', 'p', 'x', '-w', 'json']);
    const out = await expectSameWrite(
      [
        ['del', 'q'],
        ['put', 'q', 'old'],
      ],
      ['put', 'q', 'new', '--prev-kv', '-w', 'json'],
    );
    expect(out).toContain('"prev_kv":{"key":"cQ==",');
  });

  it('del -w json: deleted, --prev-kv, nothing deleted', async () => {
    await expectSameWrite([['put', 'd', 'v']], ['del', 'd', '-w', 'json']);
    const out = await expectSameWrite([['put', 'd', 'v']], ['del', 'd', '--prev-kv', '-w', 'json']);
    expect(out).toContain('"deleted":1,"prev_kvs":[');
    await expectSameRead(['del', 'never-there', '-w', 'json']);
  });

  it('txn -w json: both branches, with put, get and del responses', async () => {
    const txn = async (tool: typeof viaEtcdctl, input: string): Promise<string> => {
      const r =
        tool === viaEtcdctl
          ? await etcdctl([endpoint], ['txn', '-w', 'json'], input)
          : await runCli(['--endpoints', endpoint, 'txn', '-w', 'json'], { input });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return r.stdout;
    };
    const input = 'value("t") = "1"\n\nput t 2\nget t\ndel t-other\n\nget t\n\n';
    for (const start of ['1', '0']) {
      await viaEtcdctl(['put', 't', start]);
      const fromEtcdctl = await txn(viaEtcdctl, input);
      await viaEtcdctl(['del', 't']);
      await viaEtcdctl(['put', 't', start]);
      // `t` was re-created, so its create/mod revisions moved as well as the header's.
      expect(revisionsOut(await txn(viaFlotilla, input))).toBe(revisionsOut(fromEtcdctl));
      await viaEtcdctl(['del', 't']);
    }
  });

  it('lease grant, timetolive, list, keep-alive --once and revoke -w json; simple lines with 16-digit ids', async () => {
    const ids = (s: string): string => s.replace(/"ID":\d+/, '"ID":<id>');
    await expectSameWrite([], ['lease', 'grant', '100', '-w', 'json'], ids);
    const id = /^lease ([0-9a-f]{16}) granted/.exec(
      await viaEtcdctl(['lease', 'grant', '100']),
    )![1]!;
    await viaEtcdctl(['put', 'leased', 'v', '--lease', id]);
    const ttl = (s: string): string =>
      s.replace(/"ttl":\d+/, '"ttl":<s>').replace(/remaining\(\d+s\)/, 'remaining(<s>)');
    for (const args of [
      ['lease', 'timetolive', id, '-w', 'json'],
      ['lease', 'timetolive', id, '--keys', '-w', 'json'],
      ['lease', 'timetolive', id, '--keys'],
    ])
      expect(ttl(await viaFlotilla(args))).toBe(ttl(await viaEtcdctl(args)));
    await expectSameRead(['lease', 'timetolive', '1234', '-w', 'json']); // an unknown lease
    await expectSameRead(['lease', 'list', '-w', 'json']);
    await expectSameRead(['lease', 'list']);
    await expectSameRead(['lease', 'keep-alive', '--once', id, '-w', 'json']);
    await expectSameRead(['lease', 'keep-alive', '--once', id]);
    const other = /^lease ([0-9a-f]{16}) granted/.exec(
      await viaEtcdctl(['lease', 'grant', '100']),
    )![1]!;
    const fromEtcdctl = await viaEtcdctl(['lease', 'revoke', id, '-w', 'json']);
    expect(revisionsOut(await viaFlotilla(['lease', 'revoke', other, '-w', 'json']))).toBe(
      revisionsOut(fromEtcdctl),
    );
  });

  it('member list: json, simple and table', async () => {
    const json = await expectSameRead(['member', 'list', '-w', 'json']);
    expect(json).toMatch(/"members":\[\{"ID":\d+,"name":"/);
    await expectSameRead(['member', 'list']);
    await expectSameRead(['member', 'list', '-w', 'table']);
  });

  it('endpoint status: json, simple (the default) and table; endpoint hashkv -w json', async () => {
    const json = await expectSameRead(['endpoint', 'status', '-w', 'json']);
    expect(json.startsWith(`[{"Endpoint":"${endpoint}","Status":{"header":{"cluster_id":`)).toBe(
      true,
    );
    await expectSameRead(['endpoint', 'status']);
    await expectSameRead(['endpoint', 'status', '-w', 'table']);
    await expectSameRead(['endpoint', 'hashkv', '-w', 'json']);
  });

  it('endpoint health -w json: the same fields (the time taken differs)', async () => {
    const took = (s: string): string => s.replace(/"took":"[^"]+"/, '"took":<t>');
    const fromEtcdctl = await viaEtcdctl(['endpoint', 'health', '-w', 'json']);
    expect(took(await viaFlotilla(['endpoint', 'health', '-w', 'json']))).toBe(took(fromEtcdctl));
  });
});
