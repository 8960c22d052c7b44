// `flotilla start` runs its node in a worker thread (--node-thread worker, the
// default). A worker that dies must not leave a member that answers nothing
// while it looks alive to its supervisor: the process exits non-zero.
// --test-worker-exit-after-ms (TEST ONLY) makes the worker exit on its own. A
// node whose storage fails (--test-fail-writes-after-ms) ends the member the
// same way, in a worker thread or inline.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../../packages/transport/src/tcp/free-port.js';
import { DEFAULT_BIN } from '../../packages/server/src/demo/process-cluster.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-worker-exit-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function start(
  name: string,
  extra: string[],
): Promise<{
  client: string;
  exited: Promise<number | null>;
  stderr: () => string;
  kill: () => void;
}> {
  const peer = `http://127.0.0.1:${await freePort()}`;
  const client = `http://127.0.0.1:${await freePort()}`;
  const child = spawn(
    process.execPath,
    [
      DEFAULT_BIN,
      'start',
      '--name',
      name,
      '--data-dir',
      path.join(dir, name),
      '--listen-peer',
      peer,
      '--listen-client',
      client,
      '--initial-cluster',
      `${name}=${peer}`,
      '--log-level',
      'info',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  // Never outlive the test.
  setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  return { client, exited, stderr: () => stderr, kill: () => child.kill('SIGTERM') };
}

it('exits with code 1 when its node worker dies, after serving requests', async () => {
  const m = await start('dies', ['--test-worker-exit-after-ms', '3000']);
  // It serves while its worker runs (bounded poll until the first write is acknowledged).
  const deadline = Date.now() + 20_000;
  let written = false;
  while (!written && Date.now() < deadline) {
    const put = await fetch(`${m.client}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({ key: 'YQ==', value: 'Yg==' }),
    }).catch(() => undefined);
    written = put?.status === 200;
    if (!written) await new Promise((r) => setTimeout(r, 50));
  }
  expect(written).toBe(true);
  expect(await m.exited).toBe(1);
  expect(failureLogged(m.stderr())).toMatch(/^the node's worker thread exited \(code 70/);
}, 40_000);

/** The reason of the member's "the node failed" log line. */
function failureLogged(stderr: string): string | undefined {
  const lines = stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; reason?: string });
  return lines.find((l) => l.msg.startsWith('the node failed'))?.reason;
}

for (const thread of ['worker', 'inline'] as const) {
  it(`exits with code 1 when its log writes fail (--node-thread ${thread}); a restart has every acknowledged write`, async () => {
    const name = `disk-${thread}`;
    const m = await start(name, ['--node-thread', thread, '--test-fail-writes-after-ms', '3000']);
    // Writes until the member exits: those acknowledged were durable before they were.
    let acked = 0;
    let gone = false;
    void m.exited.then(() => (gone = true));
    while (!gone) {
      const put = await fetch(`${m.client}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key: Buffer.from(`k${acked}`).toString('base64'), value: 'dg==' }),
        signal: AbortSignal.timeout(2_000),
      }).catch(() => undefined);
      if (put?.status === 200) acked++;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(acked).toBeGreaterThan(0);
    expect(await m.exited).toBe(1);
    expect(failureLogged(m.stderr())).toMatch(/EIO/);
    // The same data directory, without the fault: every acknowledged write is there.
    const again = await start(name, ['--node-thread', thread]);
    try {
      const deadline = Date.now() + 20_000;
      let count = -1;
      while (count !== acked && Date.now() < deadline) {
        const r = await fetch(`${again.client}/v3/kv/range`, {
          method: 'POST',
          body: JSON.stringify({ key: 'aw==', range_end: 'bA==', count_only: true }),
        }).catch(() => undefined);
        if (r?.status === 200) count = Number(((await r.json()) as { count?: string }).count ?? 0);
        else await new Promise((res) => setTimeout(res, 50));
      }
      expect(count).toBeGreaterThanOrEqual(acked);
    } finally {
      again.kill();
      await again.exited;
    }
  }, 60_000);
}

it('--node-thread takes worker or inline only', async () => {
  const m = await start('bad-thread', ['--node-thread', 'fiber']);
  expect(await m.exited).toBe(2);
  expect(m.stderr()).toMatch(/--node-thread is worker \(the default\) or inline, got "fiber"/);
}, 40_000);
