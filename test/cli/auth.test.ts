// Auth through the real binary: three `flotilla start` processes, etcdctl's
// user / role / auth commands and its --user / --password flags (and
// FLOTILLA_USER / FLOTILLA_PASSWORD) on the client commands. A user with a
// readwrite permission on a prefix writes there; outside it, etcd's
// "permission denied" and exit 1; without --user a clear one-line error; the
// member, endpoint and snapshot commands (their own HTTP calls, not the KV
// client) carry root's token.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessCluster } from '../../packages/server/src/demo/process-cluster.js';
import {
  expectOneLineError,
  lines,
  runCli,
  startHealthyCluster,
  type CliResult,
} from './run-cli.js';

let cluster: ProcessCluster;
let baseDir: string;
let endpoints: string;

const ROOT = ['--user', 'root:rootpw'];
const cli = (
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<CliResult> =>
  runCli(['--endpoints', endpoints, ...args], { env, ...(input !== undefined ? { input } : {}) });

async function ok(args: string[], envOrInput?: Record<string, string> | string): Promise<string[]> {
  const r =
    typeof envOrInput === 'string' ? await cli(args, {}, envOrInput) : await cli(args, envOrInput);
  expect(r.stderr, `flotilla ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return lines(r);
}

beforeAll(async () => {
  baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-auth-'));
  cluster = await startHealthyCluster(baseDir);
  endpoints = cluster.endpoints.join(',');
}, 90_000);

afterAll(async () => {
  await cluster?.close();
  fs.rmSync(baseDir, { recursive: true, force: true });
});

describe('flotilla auth, user and role commands', () => {
  it('sets up users and roles, enables auth, and prints as etcdctl does', async () => {
    expect(await ok(['auth', 'status'])).toEqual([
      'Authentication Status: false',
      'AuthRevision: 0',
    ]);
    expect(await ok(['user', 'add', 'root:rootpw'])).toEqual(['User root created']);
    expect(await ok(['user', 'grant-role', 'root', 'root'])).toEqual([
      'Role root is granted to user root',
    ]);
    expect(await ok(['user', 'add', 'alice', '--new-user-password', 'a:l:i'])).toEqual([
      'User alice created',
    ]);
    expect(await ok(['user', 'add', 'bob:bobpw'])).toEqual(['User bob created']);
    expect(await ok(['role', 'add', 'app'])).toEqual(['Role app created']);
    expect(await ok(['role', 'grant-permission', 'app', 'readwrite', 'app/', '--prefix'])).toEqual([
      'Role app updated',
    ]);
    expect(await ok(['role', 'grant-permission', 'app', 'read', 'config'])).toEqual([
      'Role app updated',
    ]);
    expect(await ok(['role', 'grant-permission', 'app', 'write', 'logs/a', 'logs/m'])).toEqual([
      'Role app updated',
    ]);
    expect(await ok(['user', 'grant-role', 'alice', 'app'])).toEqual([
      'Role app is granted to user alice',
    ]);
    expect(await ok(['auth', 'enable'])).toEqual(['Authentication Enabled']);

    expect(await ok(['role', 'get', 'app', ...ROOT])).toEqual([
      'Role app',
      'KV Read:',
      '\t[app/, app0) (prefix app/)',
      '\tconfig',
      'KV Write:',
      '\t[app/, app0) (prefix app/)',
      '\t[logs/a, logs/m)',
    ]);
    expect(await ok(['user', 'get', 'alice', ...ROOT])).toEqual(['User: alice', 'Roles: app']);
    expect(await ok(['user', 'list', ...ROOT])).toEqual(['alice', 'bob', 'root']);
    expect(await ok(['role', 'list', ...ROOT])).toEqual(['app']);
    expect((await ok(['auth', 'status', ...ROOT]))[0]).toBe('Authentication Status: true');
  }, 60_000);

  it('a put with the right user succeeds, also with --password and the environment', async () => {
    expect(await ok(['put', 'app/x', '1', '--user', 'alice', '--password', 'a:l:i'])).toEqual([
      'OK',
    ]);
    expect(
      await ok(['get', 'app/x', '--print-value-only'], {
        FLOTILLA_USER: 'alice',
        FLOTILLA_PASSWORD: 'a:l:i',
      }),
    ).toEqual(['1']);
    expect(await ok(['put', 'app/y', '2', '--user', 'root:rootpw'])).toEqual(['OK']);
  }, 30_000);

  it('watch, lease and txn carry the user too; a watch outside the permission is refused', async () => {
    const alice = ['--user', 'alice:a:l:i'];
    const [granted] = await ok(['lease', 'grant', '60', ...alice]);
    const leaseId = /^lease ([0-9a-f]+) granted with TTL\(60s\)$/.exec(granted!)?.[1];
    expect(leaseId, granted).toBeDefined();
    expect(await ok(['put', 'app/leased', 'v', '--lease', leaseId!, ...alice])).toEqual(['OK']);
    expect(await ok(['lease', 'keep-alive', leaseId!, '--once', ...alice])).toEqual([
      `lease ${leaseId} keepalived with TTL(60)`,
    ]);
    const rev = JSON.parse((await ok(['get', 'app/leased', '-w', 'json', ...alice]))[0]!).header
      .revision as string;
    expect(await ok(['watch', 'app/leased', '--rev', rev, '--max-events', '1', ...alice])).toEqual([
      'PUT',
      'app/leased',
      'v',
    ]);
    expect(
      await ok(['txn', ...alice], 'value("app/leased") = "v"\n\nput app/t yes\n\nput app/t no\n'),
    ).toEqual(['SUCCESS', '', 'OK']);
    const watch = await cli(['watch', 'config2', '--max-events', '1', ...alice]);
    expect(watch.code).toBe(1);
    expect(watch.stderr).toMatch(/permission denied/);
  }, 30_000);

  it('a user without the permission gets etcd\'s "permission denied" and exit 1', async () => {
    expectOneLineError(
      await cli(['put', 'other', 'v', '--user', 'alice', '--password', 'a:l:i']),
      1,
      /^Error: etcdserver: permission denied/,
    );
    expectOneLineError(
      await cli(['put', 'app/x', 'v', '--user', 'bob:bobpw']),
      1,
      /^Error: etcdserver: permission denied/,
    );
    // A read-only key: readable, not writable.
    expectOneLineError(
      await cli(['put', 'config', 'v', '--user', 'bob:bobpw']),
      1,
      /permission denied/,
    );
    // Root-only commands through the CLI's own HTTP calls.
    expectOneLineError(
      await cli(['user', 'list', '--user', 'bob:bobpw']),
      1,
      /^Error: etcdserver: permission denied/,
    );
    const snapshot = await cli([
      'snapshot',
      'save',
      path.join(baseDir, 'alice.db'),
      '--user',
      'alice',
      '--password',
      'a:l:i',
    ]);
    expect(snapshot.stderr.trimEnd().split('\n').at(-1)).toMatch(/^Error: .*permission denied/);
    expect(snapshot.code).toBe(1);
    expect(fs.existsSync(path.join(baseDir, 'alice.db'))).toBe(false);
  }, 30_000);

  it('without --user, or with a wrong password, the command fails with one clear line', async () => {
    expectOneLineError(
      await cli(['put', 'app/x', 'v']),
      1,
      /^Error: etcdserver: (invalid auth token|user name is empty).*pass --user name:password/,
    );
    expectOneLineError(
      await cli(['member', 'list']),
      1,
      /^Error: etcdserver: (invalid auth token|user name is empty).*pass --user name:password/,
    );
    expectOneLineError(
      await cli(['get', 'app/x', '--user', 'alice:wrong']),
      1,
      /^Error: etcdserver: authentication failed, invalid user ID or password/,
    );
    expectOneLineError(
      await cli(['member', 'list', '--user', 'alice:wrong']),
      1,
      /^Error: etcdserver: authentication failed, invalid user ID or password/,
    );
  }, 30_000);

  it('member list, endpoint status and health, snapshot save and compaction work with --user root', async () => {
    expect(await ok(['member', 'list', ...ROOT])).toHaveLength(3);
    const status = await ok(['endpoint', 'status', '-w', 'json', ...ROOT]);
    expect(JSON.parse(status[0]!)).toHaveLength(3);
    expect(await ok(['endpoint', 'health', ...ROOT])).toHaveLength(3);
    const file = path.join(baseDir, 'root.db');
    const saved = await cli(['snapshot', 'save', file, ...ROOT]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(fs.statSync(file).size).toBeGreaterThan(0);
    const rev = String(
      (
        JSON.parse((await ok(['get', 'app/x', '-w', 'json', ...ROOT]))[0]!) as {
          header: { revision: number };
        }
      ).header.revision,
    );
    expect(await ok(['compaction', rev, ...ROOT])).toEqual([`compacted revision ${rev}`]);
  }, 60_000);

  it('revoking a role and changing a password take effect; auth disable needs root', async () => {
    expect(await ok(['role', 'revoke-permission', 'app', 'logs/a', 'logs/m', ...ROOT])).toEqual([
      'Permission of range [logs/a, logs/m) is revoked from role app',
    ]);
    expect(await ok(['user', 'passwd', 'bob', '--new-user-password', 'newpw', ...ROOT])).toEqual([
      'Password updated',
    ]);
    expectOneLineError(
      await cli(['get', 'config', '--user', 'bob:bobpw']),
      1,
      /authentication failed/,
    );
    expect(await ok(['user', 'revoke-role', 'alice', 'app', ...ROOT])).toEqual([
      'Role app is revoked from user alice',
    ]);
    expectOneLineError(
      await cli(['put', 'app/x', '3', '--user', 'alice:a:l:i']),
      1,
      /permission denied/,
    );
    expectOneLineError(
      await cli(['auth', 'disable', '--user', 'bob:newpw']),
      1,
      /permission denied/,
    );
    expect(await ok(['user', 'delete', 'bob', ...ROOT])).toEqual(['User bob deleted']);
    expect(await ok(['role', 'delete', 'app', ...ROOT])).toEqual(['Role app deleted']);
    expect(await ok(['auth', 'disable', ...ROOT])).toEqual(['Authentication Disabled']);
    expect(await ok(['get', 'app/x', '--print-value-only'])).toEqual(['1']);
    // As etcdctl: --user on a cluster without auth is not an error, the requests go without a token.
    expect(await ok(['member', 'list', ...ROOT])).toHaveLength(3);
    expect(await ok(['put', 'app/x', '4', ...ROOT])).toEqual(['OK']);
    expect(await ok(['get', 'app/x', '--print-value-only', '--user', 'nobody:x'])).toEqual(['4']);
  }, 60_000);

  it('rejects --user without a password and --password without --user as usage errors (exit 2)', async () => {
    expectOneLineError(
      await cli(['get', 'k', '--user', 'alice']),
      2,
      /--user "alice" has no password/,
    );
    expectOneLineError(await cli(['get', 'k', '--password', 'x']), 2, /--password needs --user/);
    expectOneLineError(await cli(['user', 'add', 'carol']), 2, /no password for "carol"/);
    expectOneLineError(
      await cli(['role', 'grant-permission', 'r', 'admin', 'k']),
      2,
      /read, write or readwrite/,
    );
  }, 30_000);
});
