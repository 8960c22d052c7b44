// `flotilla snapshot save | verify | restore` and `flotilla start
// --force-new-cluster`, through the real binary against real member processes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_BIN,
  MemberExitedError,
  ProcessCluster,
} from '../../packages/server/src/demo/process-cluster.js';
import { wireClusterId } from '../../packages/server/src/cluster/node-adapter.js';
import { lines, runCli, type CliResult } from './run-cli.js';

let cluster: ProcessCluster;
let restored: ProcessCluster | undefined;
let forced: ChildProcess | undefined;
let baseDir: string;
let backupFile: string;
const TOKEN = 'restored-by-test';

const cli = (
  args: string[],
  endpoints: readonly string[] = cluster.endpoints,
): Promise<CliResult> =>
  runCli(args, { env: { FLOTILLA_ENDPOINTS: endpoints.join(',') }, timeoutMs: 30_000 });

/** Progress lines of snapshot save/verify/restore: on stderr, never on stdout. */
const PROGRESS =
  /^(downloading a snapshot from \S+ into \S+|downloaded(: \S+ \S+ so far \(\S+\)| \S+ \S+ in \S+)|verifying \S+: restoring it into a scratch store|verify finished in \S+|restoring \S+ into \S+ as member \S+|restored in \S+)$/;

function stderrBeyondProgress(r: CliResult): string[] {
  return r.stderr.split('\n').filter((l) => l !== '' && !PROGRESS.test(l));
}

async function ok(args: string[], endpoints?: readonly string[]): Promise<string[]> {
  const r = await cli(args, endpoints);
  expect(stderrBeyondProgress(r), `flotilla ${args.join(' ')}`).toEqual([]);
  expect(r.code).toBe(0);
  return lines(r);
}

/** Progress may come first; then exactly one error line, and no stack. */
function expectOneLineError(r: CliResult, code: number, text: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  const rest = stderrBeyondProgress(r);
  expect(rest).toHaveLength(1);
  expect(rest[0]).toMatch(text);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

async function startCluster(
  dir: string,
  extraArgs: readonly string[] = [],
  prepare?: (c: ProcessCluster) => Promise<void>,
): Promise<ProcessCluster> {
  // Ports are chosen free and bound later; if another test took one meanwhile, a member exits: start over once.
  for (let attempt = 1; ; attempt++) {
    const c = await ProcessCluster.create({
      baseDir: path.join(dir, `try${attempt}`),
      logLevel: 'warn',
      extraArgs,
    });
    await prepare?.(c);
    c.startAll();
    try {
      await c.waitHealthy(30_000);
      return c;
    } catch (err) {
      await c.close();
      if (!(err instanceof MemberExitedError) || attempt >= 2) throw err;
    }
  }
}

async function putDirect(endpoint: string, key: string, value: string): Promise<void> {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const res = await fetch(`${endpoint}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(key), value: b64(value) }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-snapshot-'));
  backupFile = path.join(baseDir, 'cluster.fbk');
  cluster = await startCluster(path.join(baseDir, 'old'));
  for (let i = 1; i <= 5; i++) await putDirect(cluster.endpoints[i % 3]!, `before/${i}`, `v${i}`);
});

afterAll(async () => {
  forced?.kill('SIGKILL');
  await restored?.close();
  await cluster?.close();
  fs.rmSync(baseDir, { recursive: true, force: true });
});

describe('flotilla snapshot', () => {
  it('save downloads a backup from a member taking writes, and the backup verifies', async () => {
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) await putDirect(cluster.endpoints[written++ % 3]!, `during/${written}`, 'x');
    })();
    const r = await cli(['snapshot', 'save', backupFile]).finally(() => (writing = false));
    await writer;
    expect(r.code).toBe(0);
    // Progress goes to stderr, in order, so stdout holds only the result lines.
    const progress = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('downloaded: '));
    expect(progress).toEqual([
      `downloading a snapshot from ${cluster.endpoints[0]} into ${backupFile}`,
      expect.stringMatching(/^downloaded \d+(\.\d)? (B|kB|MB) in \S+$/),
      `verifying ${backupFile}: restoring it into a scratch store`,
      expect.stringMatching(/^verify finished in \S+$/),
    ]);
    const [saved, verdict] = lines(r);
    expect(saved).toMatch(
      new RegExp(
        `^Snapshot saved at ${backupFile}: revision \\d+, applied index \\d+, \\d+ keys, \\d+ bytes$`,
      ),
    );
    expect(Number(/, (\d+) keys/.exec(saved!)![1])).toBeGreaterThanOrEqual(5);
    expect(verdict).toMatch(/^OK .*restored and checked/);
    expect(await ok(['snapshot', 'verify', backupFile])).toEqual([expect.stringMatching(/^OK /)]);
    const unreachable = path.join(baseDir, 'unreachable.fbk');
    expectOneLineError(
      await cli(['snapshot', 'save', unreachable, '--endpoints', 'http://127.0.0.1:1']),
      1,
      /downloading the snapshot from http:\/\/127\.0\.0\.1:1 failed .*no file written/,
    );
    expect(fs.existsSync(unreachable)).toBe(false);
  });

  it('verify refuses a truncated and a bit-flipped copy: exit 1, one line, no stack', async () => {
    const bytes = fs.readFileSync(backupFile);
    const truncated = path.join(baseDir, 'truncated.fbk');
    fs.writeFileSync(truncated, bytes.subarray(0, bytes.length - 40));
    expectOneLineError(await cli(['snapshot', 'verify', truncated]), 1, /^FAILED truncated: /);
    const flipped = path.join(baseDir, 'flipped.fbk');
    const copy = Buffer.from(bytes);
    copy[Math.floor(copy.length / 2)]! ^= 0x10;
    fs.writeFileSync(flipped, copy);
    expectOneLineError(
      await cli(['snapshot', 'verify', flipped]),
      1,
      /^FAILED (corrupt|mismatch): /,
    );
    expectOneLineError(
      await cli(['snapshot', 'verify']),
      2,
      /^Error: snapshot verify: missing required argument 'file'/,
    );
  });

  it('restore seeds three new members that boot as a new cluster with the data; a non-empty directory is refused', async () => {
    restored = await startCluster(
      path.join(baseDir, 'new'),
      ['--initial-cluster-token', TOKEN],
      async (c) => {
        for (const m of c.members) {
          const out = await ok([
            'snapshot',
            'restore',
            backupFile,
            '--name',
            m.name,
            '--initial-cluster',
            c.initialCluster,
            '--data-dir',
            m.dataDir,
            '--cluster-token',
            TOKEN,
          ]);
          expect(out[0]).toMatch(
            new RegExp(
              `^Restored ${backupFile} into ${m.dataDir} as member ${m.name} of cluster ${TOKEN} at revision \\d+ \\(index \\d+\\)$`,
            ),
          );
        }
        const again = await cli([
          'snapshot',
          'restore',
          backupFile,
          '--name',
          'n1',
          '--initial-cluster',
          c.initialCluster,
          '--data-dir',
          c.member('n1').dataDir,
          '--cluster-token',
          TOKEN,
        ]);
        expectOneLineError(again, 1, /is not empty; restore never overwrites data: .*--force/);
        const oldId = await cli([
          'snapshot',
          'restore',
          backupFile,
          '--name',
          'n1',
          '--initial-cluster',
          c.initialCluster,
          '--data-dir',
          path.join(baseDir, 'spare'),
          '--cluster-token',
          'flotilla',
        ]);
        expectOneLineError(oldId, 1, /backed-up cluster's own id/);
      },
    );
    for (let i = 1; i <= 5; i++)
      expect(await ok(['get', `before/${i}`, '--print-value-only'], restored.endpoints)).toEqual([
        `v${i}`,
      ]);
    expect(await ok(['put', 'after-restore', 'yes'], restored.endpoints)).toEqual(['OK']);
    // The restored members run as the new cluster: the token the restore was given, not the old one.
    const status = (await (await fetch(`${restored.endpoints[0]}/flotilla/status`)).json()) as {
      clusterId: string;
    };
    expect(status.clusterId).toBe(wireClusterId(TOKEN));
    expect(status.clusterId).not.toBe(wireClusterId('flotilla'));
  });

  it('restore without --cluster-token uses one default token on every call and prints the start line for it', async () => {
    const members = 'a=http://127.0.0.1:1,b=http://127.0.0.1:2';
    const first = await ok([
      'snapshot',
      'restore',
      backupFile,
      '--name',
      'a',
      '--initial-cluster',
      members,
      '--data-dir',
      path.join(baseDir, 'default-a'),
    ]);
    const second = await ok([
      'snapshot',
      'restore',
      backupFile,
      '--name',
      'b',
      '--initial-cluster',
      members,
      '--data-dir',
      path.join(baseDir, 'default-b'),
    ]);
    const token = / of cluster (flotilla-restored-[0-9a-f]{8}) /.exec(first[0]!)?.[1];
    expect(token).toBeDefined();
    expect(second[0]).toContain(` of cluster ${token} `);
    expect(first[1]).toContain(`--initial-cluster-token ${token}`);
  });

  it('start --force-new-cluster makes the last survivor a one-member cluster that serves reads and writes', async () => {
    await cluster.kill('n2');
    await cluster.kill('n3');
    await cluster.kill('n1', 'SIGTERM');
    const n1 = cluster.member('n1');
    const log = fs.openSync(path.join(baseDir, 'forced.log'), 'a');
    forced = spawn(
      process.execPath,
      [DEFAULT_BIN, ...cluster.startArgs(n1), '--force-new-cluster'],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const healthy = await fetch(`${n1.clientUrl}/health`, {
        signal: AbortSignal.timeout(1_000),
      }).then(
        (r) => r.ok,
        () => false,
      );
      if (healthy) break;
      if (Date.now() > deadline || forced.exitCode !== null)
        throw new Error(
          `forced member not healthy: ${fs.readFileSync(path.join(baseDir, 'forced.log'), 'utf8').slice(-2_000)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await ok(['get', 'before/3', '--print-value-only'], [n1.clientUrl])).toEqual(['v3']);
    expect(await ok(['put', 'after-force', 'alive'], [n1.clientUrl])).toEqual(['OK']);
    expect(await ok(['get', 'after-force', '--print-value-only'], [n1.clientUrl])).toEqual([
      'alive',
    ]);
    expect(fs.readFileSync(path.join(baseDir, 'forced.log'), 'utf8')).toMatch(
      /forced a new one-member cluster/,
    );
  });
});
