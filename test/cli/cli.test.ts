// Every CLI command against a real three-process cluster, through the real
// binary. Errors must be one line on stderr with a non-zero exit code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessCluster } from '../../packages/server/src/demo/process-cluster.js';
import { memberIdOf } from '../../packages/server/src/cluster/member-id.js';
import { freePort } from '../../packages/transport/src/tcp/free-port.js';
import {
  expectOneLineError,
  lines,
  pollUntil,
  runCli,
  startHealthyCluster,
  type CliResult,
} from './run-cli.js';

let cluster: ProcessCluster;
let baseDir: string;
let env: Record<string, string>;

const cli = (args: string[], input?: string): Promise<CliResult> =>
  runCli(args, { env, ...(input !== undefined ? { input } : {}) });

async function ok(args: string[], input?: string): Promise<string[]> {
  const r = await cli(args, input);
  expect(r.stderr, `flotilla ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return lines(r);
}

async function revision(): Promise<number> {
  const [json] = await ok(['get', 'nothing-here', '-w', 'json']);
  return Number((JSON.parse(json!) as { header: { revision: string } }).header.revision);
}

beforeAll(async () => {
  baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-'));
  cluster = await startHealthyCluster(baseDir);
  env = { FLOTILLA_ENDPOINTS: cluster.endpoints.join(',') };
});

afterAll(async () => {
  await cluster?.close();
  fs.rmSync(baseDir, { recursive: true, force: true });
});

describe('flotilla CLI against a three-process cluster', () => {
  it('put and get print like etcdctl', async () => {
    expect(await ok(['put', 'greeting', 'hello world'])).toEqual(['OK']);
    expect(await ok(['get', 'greeting'])).toEqual(['greeting', 'hello world']);
    expect(await ok(['get', 'greeting', '--print-value-only'])).toEqual(['hello world']);
    expect(await ok(['put', 'greeting', 'hi', '--prev-kv'])).toEqual([
      'OK',
      'greeting',
      'hello world',
    ]);
  });

  it('get reads a prefix, a range, a limit, a count and a past revision', async () => {
    for (const [k, v] of [
      ['app/a', '1'],
      ['app/b', '2'],
      ['app/c', '3'],
    ])
      await ok(['put', k!, v!]);
    const before = await revision();
    await ok(['put', 'app/a', 'changed']);
    expect(await ok(['get', 'app/', '--prefix'])).toEqual([
      'app/a',
      'changed',
      'app/b',
      '2',
      'app/c',
      '3',
    ]);
    expect(await ok(['get', 'app/a', 'app/c'])).toEqual(['app/a', 'changed', 'app/b', '2']);
    expect(await ok(['get', 'app/', '--prefix', '--limit', '1', '--keys-only'])).toEqual(['app/a']);
    expect(await ok(['get', 'app/', '--prefix', '--count-only'])).toEqual(['3']);
    expect(await ok(['get', 'app/a', '--rev', String(before)])).toEqual(['app/a', '1']);
    expect(
      await ok([
        'get',
        'app/',
        '--prefix',
        '--order',
        'DESCEND',
        '--keys-only',
        '--consistency',
        's',
      ]),
    ).toEqual(['app/c', 'app/b', 'app/a']);
  });

  it('del deletes a key or a prefix and prints the count (and previous values)', async () => {
    await ok(['put', 'tmp/1', 'x']);
    await ok(['put', 'tmp/2', 'y']);
    expect(await ok(['del', 'tmp/1', '--prev-kv'])).toEqual(['1', 'tmp/1', 'x']);
    expect(await ok(['del', 'tmp/', '--prefix'])).toEqual(['1']);
    expect(await ok(['get', 'tmp/', '--prefix'])).toEqual(['']);
  });

  it('watch prints events from a revision until --max-events', async () => {
    const from = (await revision()) + 1;
    const watching = cli([
      'watch',
      'watched',
      '--rev',
      String(from),
      '--prev-kv',
      '--max-events',
      '2',
    ]);
    await ok(['put', 'watched', 'v1']);
    await ok(['put', 'watched', 'v2']);
    const r = await watching;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r)).toEqual(['PUT', 'watched', 'v1', 'PUT', 'watched', 'v1', 'watched', 'v2']);
  });

  it("txn reads etcdctl's format from stdin and runs the branch its compares choose", async () => {
    await ok(['put', 'txn-key', 'old']);
    const success = await ok(
      ['txn'],
      'value("txn-key") = "old"\n\nput txn-key "new value"\nget txn-key\n\nget other\n',
    );
    expect(success).toEqual(['SUCCESS', '', 'OK', '', 'txn-key', 'new value']);
    const failure = await ok(
      ['txn'],
      'value("txn-key") = "old"\n\nput txn-key never\n\ndel txn-key\n',
    );
    expect(failure).toEqual(['FAILURE', '', '1']);
  });

  it('lease grant, attach, list, keepalive, timetolive and revoke', async () => {
    const [granted] = await ok(['lease', 'grant', '60']);
    const id = /^lease ([0-9a-f]+) granted with TTL\(60s\)$/.exec(granted!)?.[1];
    expect(id).toBeDefined();
    await ok(['put', 'leased', 'v', '--lease', id!]);
    expect(await ok(['lease', 'list'])).toContain(id);
    expect(await ok(['lease', 'keepalive', id!, '--once'])).toEqual([
      `lease ${id} keepalived with TTL(60)`,
    ]);
    const [ttl] = await ok(['lease', 'timetolive', id!, '--keys']);
    expect(ttl).toMatch(
      new RegExp(
        `^lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[leased\\]\\)$`,
      ),
    );
    expect(await ok(['lease', 'revoke', id!])).toEqual([`lease ${id} revoked`]);
    expect(await ok(['get', 'leased'])).toEqual(['']);
  });

  it('endpoint status prints a line per member (a table with -w table) with one leader; endpoint health checks every member', async () => {
    const simple = await ok(['endpoint', 'status', '--cluster']);
    expect(simple).toHaveLength(3);
    expect(simple.filter((l) => l.split(', ')[4] === 'true')).toHaveLength(1);
    const out = await ok(['endpoint', 'status', '--cluster', '-w', 'table']);
    expect(out[1]).toMatch(
      /\|\s+ENDPOINT\s+\|\s+ID\s+\|\s+VERSION\s+\|\s+DB SIZE\s+\|\s+IS LEADER\s+\|\s+IS LEARNER\s+\|\s+RAFT TERM\s+\|\s+RAFT INDEX\s+\|\s+RAFT APPLIED INDEX\s+\|\s+ERRORS\s+\|/,
    );
    const rows = out.filter((l) => /^\|\s*http/.test(l));
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.split('|')[5]?.trim() === 'true')).toHaveLength(1);
    const health = await ok(['endpoint', 'health', '--cluster']);
    expect(health).toHaveLength(3);
    for (const line of health)
      expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+ is healthy: took \d+ms$/);
  });

  it('move-leader hands leadership to the member named by its hex id', async () => {
    const status = async (): Promise<{ leader: string; ids: string[] }> => {
      // etcdctl's shape; member ids are 32 bits here, so JSON.parse keeps them exact.
      const json = JSON.parse(
        (await ok(['endpoint', 'status', '--cluster', '-w', 'json']))[0]!,
      ) as { Status: { leader: number; header: { member_id: number } } }[];
      return {
        leader: String(json[0]!.Status.leader),
        ids: json.map((s) => String(s.Status.header.member_id)),
      };
    };
    const before = await status();
    const target = before.ids.find((id) => id !== before.leader)!;
    const hex = Number(target).toString(16);
    expect((await ok(['move-leader', hex]))[0]).toBe(
      `Leadership transferred from ${Number(before.leader).toString(16)} to ${hex}`,
    );
    await pollUntil('every member to see the new leader', async () => {
      const s = await status();
      return s.leader === target ? true : undefined;
    });
  });

  it('member list, add (learner), promote, update and remove; status --cluster names a member that does not answer', async () => {
    const listed = await ok(['member', 'list']);
    expect(listed).toHaveLength(3);
    expect(listed[0]).toMatch(
      /^[0-9a-f]+, started, n\d, http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+, false$/,
    );
    expect((await ok(['member', 'list', '-w', 'table']))[1]).toMatch(
      /\|\s+ID\s+\|\s+STATUS\s+\|\s+NAME\s+\|\s+PEER ADDRS\s+\|\s+CLIENT ADDRS\s+\| IS LEARNER \|/,
    );

    const n4 = await cluster.planMember('n4');
    const id = memberIdOf('n4').toString(16);
    const added = await ok(['member', 'add', 'n4', '--peer-urls', n4.peerUrl, '--learner']);
    expect(added[0]).toMatch(new RegExp(`^Member ${id} added to cluster [0-9a-f]+ as a learner$`));
    expect(added.join('\n')).toContain('--initial-cluster-state existing --founders n1,n2,n3');
    cluster.start('n4');
    // Once it runs, n4 publishes its client URL in the replicated member table: every member lists it.
    const n4Line = `${id}, started, n4, ${n4.peerUrl}, ${n4.clientUrl}, true`;
    await pollUntil('n4 to publish its client URL', async () =>
      (await ok(['member', 'list'])).includes(n4Line) ? true : undefined,
    );
    for (const endpoint of cluster.endpoints.slice(0, 3))
      expect(await ok(['member', 'list', `--endpoints=${endpoint}`])).toContain(n4Line);
    // Promotion may be refused until the learner has caught up: retry for a bounded time.
    await pollUntil('n4 to be promoted', async () => {
      const r = await cli(['member', 'promote', id]);
      return r.code === 0 ? r : undefined;
    });
    expect(await ok(['member', 'list'])).toContainEqual(
      expect.stringMatching(new RegExp(`^${id}, started, n4, .*, false$`)),
    );
    // The same port under another name of the loopback address, so n4 stays reachable.
    const moved = n4.peerUrl.replace('127.0.0.1', 'localhost');
    expect(await ok(['member', 'update', id, '--peer-urls', moved])).toEqual([
      expect.stringMatching(new RegExp(`^Member ${id} updated in cluster [0-9a-f]+$`)),
    ]);
    expect(await ok(['member', 'list'])).toContain(
      `${id}, started, n4, ${moved}, ${n4.clientUrl}, false`,
    );
    await cluster.kill('n4');
    const status = await cli(['endpoint', 'status', '--cluster']);
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain(`member n4 (${id}) at ${n4.clientUrl}:`);
    expect(await ok(['member', 'remove', id])).toEqual([
      expect.stringMatching(new RegExp(`^Member ${id} removed from cluster [0-9a-f]+$`)),
    ]);
    expect(await ok(['member', 'list'])).toHaveLength(3);
  });

  it('endpoint hashkv --cluster prints the same hash for every member', async () => {
    await ok(['put', 'hashed', '1']);
    const hashes = await pollUntil('every member to apply the put', async () => {
      const r = await cli(['endpoint', 'hashkv', '--cluster', '--rev', String(await revision())]);
      if (r.code !== 0) return undefined; // a member that has not applied the revision yet says so
      const out = lines(r);
      const set = new Set(out.map((l) => l.split(', ')[1]));
      return out.length === 3 && set.size === 1 ? out : undefined;
    });
    for (const line of hashes) expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+, \d+$/);
  });

  it('global flags go before the command as etcdctl users write them, or after it', async () => {
    const endpoints = `--endpoints=${cluster.endpoints.join(',')}`;
    const noEnv = (args: string[]): Promise<CliResult> =>
      runCli(args, { env: { FLOTILLA_ENDPOINTS: 'http://127.0.0.1:1' } });
    const put = await noEnv([
      endpoints,
      '--command-timeout',
      '5s',
      'put',
      'global-flags',
      'before',
    ]);
    expect([put.code, put.stderr, put.stdout]).toEqual([0, '', 'OK\n']);
    const get = await noEnv([
      '--endpoints',
      cluster.endpoints[1]!,
      '-w',
      'json',
      'get',
      'global-flags',
    ]);
    expect([get.code, get.stderr]).toEqual([0, '']);
    expect(JSON.parse(get.stdout).kvs[0].value).toBe(Buffer.from('before').toString('base64'));
    const after = await noEnv([
      'get',
      'global-flags',
      '--print-value-only',
      endpoints,
      '--command-timeout=1m30s',
      '--dial-timeout',
      '500ms',
    ]);
    expect([after.code, after.stderr, after.stdout]).toEqual([0, '', 'before\n']);
    // A host:port endpoint, as etcdctl takes it.
    const bare = await noEnv([
      'get',
      'global-flags',
      '--print-value-only',
      `--endpoints=${cluster.endpoints[2]!.replace('http://', '')}`,
    ]);
    expect([bare.code, bare.stderr, bare.stdout]).toEqual([0, '', 'before\n']);
  });

  it('--command-timeout takes Go durations (5s) and refuses anything else in one line', async () => {
    expect(await ok(['put', 'timeout-key', 'v', '--command-timeout', '5s'])).toEqual(['OK']);
    expect(
      await ok(['get', 'timeout-key', '--print-value-only', '--command-timeout', '2500']),
    ).toEqual(['v']);
    expectOneLineError(
      await cli(['put', 'timeout-key', 'v', '--command-timeout', '5parsecs']),
      2,
      /^Error: --command-timeout: "5parsecs" is not a duration; write e\.g\. 5s, 500ms or 1m30s/,
    );
    expectOneLineError(
      await cli(['--command-timeout', '0', 'get', 'timeout-key']),
      2,
      /^Error: --command-timeout must be longer than 0/,
    );
  });

  it('every command prints its own usage with --help (exit 0, stdout)', async () => {
    const put = await cli(['put', '--help']);
    expect([put.code, put.stderr]).toEqual([0, '']);
    expect(put.stdout).toMatch(/^Usage: flotilla put \[options\] <key> <value>\n/);
    expect(put.stdout).toContain('--prev-kv');
    expect(put.stdout).toContain('--command-timeout <duration>');
    const grant = await cli(['help', 'lease']);
    expect(grant.code).toBe(0);
    expect(grant.stdout).toMatch(/^Usage: flotilla lease/);
    const start = await cli(['start', '--help']);
    for (const flag of [
      '--initial-cluster-clients',
      '--peer-route',
      '--force-new-cluster',
      '--test-clock-rate',
      '--backup-dir',
    ])
      expect(start.stdout).toContain(flag);
  });

  it('user mistakes are one line on stderr and a non-zero exit, never a stack trace', async () => {
    expectOneLineError(
      await cli(['frobnicate']),
      2,
      /^Error: unknown command 'frobnicate'; see `flotilla --help`$/,
    );
    expectOneLineError(
      await cli(['get']),
      2,
      /^Error: get: missing required argument 'key'; see `flotilla get --help`$/,
    );
    expectOneLineError(
      await cli(['get', 'k', '--bogus']),
      2,
      /^Error: get: unknown option '--bogus'; see `flotilla get --help`$/,
    );
    expectOneLineError(
      await cli(['lease', 'grant', '60', '--dial-timeout', 'soon']),
      2,
      /^Error: --dial-timeout: "soon" is not a duration/,
    );
    expectOneLineError(await cli(['lease', 'revoke', 'abc123']), 1, /requested lease not found/);
    expectOneLineError(await cli(['member', 'remove', 'zz']), 2, /hexadecimal/);
    expectOneLineError(await cli(['txn'], 'nonsense\n'), 2, /txn line 1/);
    expectOneLineError(
      await runCli(['get', 'k', '--command-timeout', '1s'], {
        env: { FLOTILLA_ENDPOINTS: `http://127.0.0.1:${await freePort()}` },
      }),
      1,
      /^Error: get: no success within 1s \(--command-timeout\): no leader answered or no endpoint was reachable \(http:\/\/127\.0\.0\.1:\d+\)$/,
    );
    expectOneLineError(
      await runCli(['start', '--name', 'x', '--initial-cluster', 'y=http://127.0.0.1:1']),
      2,
      /not in --initial-cluster/,
    );
    expectOneLineError(
      await runCli([
        'start',
        '--name',
        'n1',
        '--data-dir',
        cluster.member('n1').dataDir,
        '--listen-peer',
        cluster.member('n1').peerUrl,
        '--listen-client',
        'http://127.0.0.1:1',
        '--initial-cluster',
        cluster.initialCluster,
      ]),
      1,
      /^Error: /,
    );
  });
});
