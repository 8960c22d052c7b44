// `flotilla start` configured by a JSON file and the environment (flags >
// env > file), logging JSON to stderr, and stopping cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../../packages/transport/src/tcp/free-port.js';
import { DEFAULT_BIN } from '../../packages/server/src/demo/process-cluster.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-start-'));

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('starts a one-member cluster from a config file and environment, serves, and stops on SIGTERM', async () => {
  const peer = `http://127.0.0.1:${await freePort()}`;
  const client = `http://127.0.0.1:${await freePort()}`;
  const configFile = path.join(dir, 'solo.json');
  // The file says log level "error"; the environment's "info" wins over it.
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      name: 'solo',
      dataDir: path.join(dir, 'data'),
      listenPeer: peer,
      initialCluster: `solo=${peer}`,
      logLevel: 'error',
    }),
  );
  const child = spawn(process.execPath, [DEFAULT_BIN, 'start', '--config', configFile], {
    env: { ...process.env, FLOTILLA_LOG_LEVEL: 'info', FLOTILLA_LISTEN_CLIENT: client },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  try {
    const deadline = Date.now() + 20_000;
    let health: unknown;
    while (Date.now() < deadline) {
      health = await fetch(`${client}/health`)
        .then((r) => r.json())
        .catch(() => undefined);
      if ((health as { health?: string } | undefined)?.health === 'true') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(health).toEqual({ health: 'true' });
    const put = await fetch(`${client}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({ key: 'YQ==', value: 'Yg==' }),
    });
    expect(put.status).toBe(200);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  const logs = stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; member: string; level: number });
  expect(logs.map((l) => l.msg)).toEqual(
    expect.arrayContaining(['flotilla member started', 'stopping', 'stopped']),
  );
  expect(logs.every((l) => l.member === 'solo')).toBe(true);
}, 40_000);
