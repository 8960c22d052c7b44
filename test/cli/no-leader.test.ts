// The CLI against a cluster that has no leader yet, through the real binary:
// a write keeps retrying until the members elect one (for longer than the old
// fixed budget of 6 attempts, ~0.9 s) and succeeds within --command-timeout;
// a write that cannot succeed gives up when --command-timeout has passed; and
// `endpoint status --cluster` names every member it cannot ask.
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
import { memberIdOf } from '../../packages/server/src/cluster/member-id.js';
import { freePort } from '../../packages/transport/src/tcp/free-port.js';
import { lines, pollUntil, runCli, type CliResult } from './run-cli.js';

let baseDir: string;
let cluster: ProcessCluster;
let env: Record<string, string>;
const stray: ChildProcess[] = [];

/** The old client's whole budget was 6 attempts over all endpoints; one member seeing more proves the CLI kept going. */
const OLD_ATTEMPTS_MAX = 6;

/**
 * Write attempts a member has answered, from its /metrics (any status): puts, and the
 * registrations of the client's exactly-once id that come before its first put.
 */
async function putsSeen(clientUrl: string): Promise<number | undefined> {
  const text = await fetch(`${clientUrl}/metrics`, { signal: AbortSignal.timeout(1_000) }).then(
    (r) => r.text(),
    () => undefined,
  );
  if (text === undefined) return undefined;
  let total = 0;
  for (const m of text.matchAll(
    /^flotilla_http_requests_total\{path="(?:\/v3\/kv\/put|\/flotilla\/session\/register)",status="\d+"\} (\d+)$/gm,
  ))
    total += Number(m[1]);
  return total;
}

function expectOneLineError(r: CliResult, code: number, text: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stderr.trimEnd()).toMatch(text);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

/** Starts n1 alone: its peers are down, so it can elect no leader. Retries once if its ports were taken meanwhile. */
async function startFirstMember(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    cluster = await ProcessCluster.create({
      baseDir: path.join(baseDir, `try${attempt}`),
      logLevel: 'warn',
    });
    cluster.start('n1');
    const n1 = cluster.member('n1');
    try {
      await pollUntil('n1 to answer HTTP', async () => {
        if (!cluster.isRunning('n1')) throw new MemberExitedError('n1', cluster.logTail('n1'));
        return (
          (await fetch(`${n1.clientUrl}/health`, { signal: AbortSignal.timeout(1_000) }).then(
            () => true,
            () => false,
          )) || undefined
        );
      });
      return;
    } catch (err) {
      await cluster.close();
      if (!(err instanceof MemberExitedError) || attempt >= 2) throw err;
    }
  }
}

beforeAll(async () => {
  baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-no-leader-'));
  await startFirstMember();
  env = { FLOTILLA_ENDPOINTS: cluster.endpoints.join(',') };
}, 60_000);

afterAll(async () => {
  for (const child of stray) child.kill('SIGKILL');
  await cluster?.close();
  fs.rmSync(baseDir, { recursive: true, force: true });
});

describe('the CLI while no leader is reachable', () => {
  it('a write gives up when --command-timeout has passed, saying so in one line', async () => {
    const r = await runCli(['put', 'never', 'x', '--command-timeout', '1500ms'], { env });
    expect(r.stdout).toBe('');
    expectOneLineError(
      r,
      1,
      /^Error: put: no success within 1\.5s \(--command-timeout\): no leader answered or no endpoint was reachable \(.+\); the change may or may not have been applied: read it back to find out$/,
    );
  });

  it('endpoint status --cluster lists every member and names the ones it cannot reach', async () => {
    const r = await runCli(
      ['endpoint', 'status', '--cluster', '--dial-timeout', '1s', '-w', 'table'],
      { env },
    );
    const rows = lines(r).filter((l) => /^\|\s*http/.test(l));
    expect(rows).toHaveLength(3);
    const [n1, n2, n3] = cluster.members;
    expect(rows.find((row) => row.includes(` ${n1!.clientUrl} |`))).toMatch(/\|\s+no leader \|$/);
    for (const down of [n2!, n3!])
      expect(rows.find((row) => row.includes(` ${down.clientUrl} |`))).toMatch(/cannot reach/);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^Error: 2 of 3 endpoints did not answer: member n\d \([0-9a-f]+\) at /,
    );
    // Each by name, id and the URL asked.
    for (const down of [n2!, n3!])
      expect(r.stderr).toContain(
        `member ${down.name} (${memberIdOf(down.name).toString(16)}) at ${down.clientUrl}: cannot reach ${down.clientUrl}`,
      );
  });

  it('endpoint status --cluster names a member whose client URL nobody told it (no --initial-cluster-clients)', async () => {
    // A lone member of a 3-member cluster, started without --initial-cluster-clients: it knows the others' peer URLs only.
    const [peer, client] = [
      `http://127.0.0.1:${await freePort()}`,
      `http://127.0.0.1:${await freePort()}`,
    ];
    const initial = `solo1=${peer},solo2=http://127.0.0.1:${await freePort()},solo3=http://127.0.0.1:${await freePort()}`;
    const child = spawn(
      process.execPath,
      [
        DEFAULT_BIN,
        'start',
        '--name',
        'solo1',
        '--data-dir',
        path.join(baseDir, 'solo1'),
        '--listen-peer',
        peer,
        '--listen-client',
        client,
        '--initial-cluster',
        initial,
        '--log-level',
        'warn',
      ],
      { stdio: 'ignore' },
    );
    stray.push(child);
    await pollUntil('solo1 to answer HTTP', async () => {
      if (child.exitCode !== null) throw new Error(`solo1 exited with ${child.exitCode}`);
      return (
        (await fetch(`${client}/health`, { signal: AbortSignal.timeout(1_000) }).then(
          () => true,
          () => false,
        )) || undefined
      );
    });
    const r = await runCli(
      ['--endpoints', client, 'endpoint', 'status', '--cluster', '-w', 'table'],
      { env: {} },
    );
    const rows = lines(r).filter((l) => /^\|\s*(http|member)/.test(l));
    expect(rows).toHaveLength(3);
    for (const name of ['solo2', 'solo3']) {
      expect(rows).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^\\|\\s*member ${name} \\(${memberIdOf(name).toString(16)}\\) .*no client URL known; a member publishes its own once it has run with a leader`,
          ),
        ),
      );
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: 2 of 3 endpoints did not answer: member solo2/);
    child.kill('SIGKILL');
  });

  it('Ctrl-C stops a write that is retrying until its deadline, at once and in one line', async () => {
    const n1 = cluster.member('n1');
    const before = (await putsSeen(n1.clientUrl)) ?? 0;
    const child = spawn(
      process.execPath,
      [DEFAULT_BIN, 'put', 'interrupted', 'x', '--command-timeout', '10m'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    stray.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => resolve(code)),
    );
    // n1 answers a put only when its 5 s wait for a leader ends, so the first test's abandoned put may still be
    // counted now: two more answered puts mean at least one came from this child.
    await pollUntil(
      'n1 to refuse the put',
      async () => ((await putsSeen(n1.clientUrl)) ?? 0) > before + 1 || undefined,
    );
    child.kill('SIGINT');
    // Waits at most 20 s for the exit, far short of the 10 minutes the deadline would allow.
    const code = await Promise.race([
      exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000)),
    ]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'Error: put: interrupted; the change may or may not have been applied: read it back to find out\n',
    );
  });

  it('a write started before the election keeps retrying past the old 6-attempt budget and succeeds once a leader is elected', async () => {
    const [n1, n2, n3] = cluster.members;
    const before = (await putsSeen(n1!.clientUrl)) ?? 0;
    const writing = runCli(['put', 'elected', 'finally', '--command-timeout', '60s'], {
      env,
      timeoutMs: 90_000,
    });
    let finished: CliResult | undefined;
    void writing.then((r) => (finished = r));
    // n1 alone answers "not leader"; once it has refused more puts than the old client ever sent, the CLI is past that budget.
    await pollUntil(
      `n1 to refuse more than ${OLD_ATTEMPTS_MAX} puts`,
      async () => {
        if (finished)
          throw new Error(
            `the put ended before a leader existed: ${finished.code} ${finished.stdout} ${finished.stderr}`,
          );
        const seen = await putsSeen(n1!.clientUrl);
        return seen !== undefined && seen - before > OLD_ATTEMPTS_MAX ? true : undefined;
      },
      45_000,
    );
    cluster.start(n2!.name);
    cluster.start(n3!.name);
    const r = await writing;
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', 'OK\n']);
    const read = await runCli(['get', 'elected', '--print-value-only'], { env });
    expect([read.code, read.stdout]).toEqual([0, 'finally\n']);
  }, 120_000);
});
