// `flotilla start`'s TEST ONLY fault flags (--test-clock-rate,
// --test-clock-offset-ms, --test-fsync-delay-ms): parsed from flags only, and a
// member started with a slow disk and a skewed clock still serves writes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromEnv, fromFile, testFaultsFromFlags } from '../../packages/server/src/cli/config.js';
import { freePort } from '../../packages/transport/src/tcp/free-port.js';
import { DEFAULT_BIN } from '../../packages/server/src/demo/process-cluster.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-test-faults-'));

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('test fault flags', () => {
  it('are absent unless given (the production path passes nothing to openNode)', () => {
    expect(testFaultsFromFlags({ name: 'n1' })).toEqual({});
  });

  it('parse rate, negative offset and fsync delay; a lone offset keeps real-time rate', () => {
    expect(
      testFaultsFromFlags({
        'test-clock-rate': '1.5',
        'test-clock-offset-ms': '-500',
        'test-fsync-delay-ms': '20',
      }),
    ).toEqual({ testClockSkew: { rate: 1.5, offsetMs: -500 }, testFsyncDelayMs: 20 });
    expect(testFaultsFromFlags({ 'test-clock-offset-ms': '250' })).toEqual({
      testClockSkew: { rate: 1, offsetMs: 250 },
    });
  });

  it('refuse a zero or non-numeric rate and a negative or fractional delay with the flag named', () => {
    expect(() => testFaultsFromFlags({ 'test-clock-rate': '0' })).toThrow(
      /--test-clock-rate must be > 0/,
    );
    expect(() => testFaultsFromFlags({ 'test-clock-rate': 'fast' })).toThrow(
      /--test-clock-rate must be a decimal number/,
    );
    expect(() => testFaultsFromFlags({ 'test-fsync-delay-ms': '-1' })).toThrow(
      /--test-fsync-delay-ms must be a non-negative integer/,
    );
    expect(() => testFaultsFromFlags({ 'test-fsync-delay-ms': '2.5' })).toThrow(
      /--test-fsync-delay-ms/,
    );
    expect(() => testFaultsFromFlags({ 'test-fail-writes-after-ms': 'soon' })).toThrow(
      /--test-fail-writes-after-ms must be a non-negative integer/,
    );
    expect(testFaultsFromFlags({ 'test-fail-writes-after-ms': '3000' })).toEqual({
      testFailWritesAfterMs: 3000,
    });
  });

  it('cannot come from the environment or a config file', () => {
    expect(fromEnv({ FLOTILLA_TEST_FSYNC_DELAY_MS: '20', FLOTILLA_TEST_CLOCK_RATE: '2' })).toEqual(
      {},
    );
    const file = path.join(dir, 'faults.json');
    fs.writeFileSync(file, JSON.stringify({ testFsyncDelayMs: 20 }));
    expect(() => fromFile(file)).toThrow(/unknown setting "testFsyncDelayMs"/);
  });
});

it('a member started with --test-fsync-delay-ms 20 and a skewed clock still serves writes and reads', async () => {
  const peer = `http://127.0.0.1:${await freePort()}`;
  const client = `http://127.0.0.1:${await freePort()}`;
  const child = spawn(
    process.execPath,
    [
      DEFAULT_BIN,
      'start',
      '--name',
      'slow',
      '--data-dir',
      path.join(dir, 'slow'),
      '--listen-peer',
      peer,
      '--listen-client',
      client,
      '--initial-cluster',
      `slow=${peer}`,
      '--log-level',
      'warn',
      '--test-fsync-delay-ms',
      '20',
      '--test-clock-rate',
      '1.25',
      '--test-clock-offset-ms=-300',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  try {
    const deadline = Date.now() + 20_000;
    let healthy = false;
    while (!healthy && Date.now() < deadline) {
      const health = await fetch(`${client}/health`)
        .then((r) => r.json() as Promise<{ health?: string }>)
        .catch(() => undefined);
      healthy = health?.health === 'true';
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    expect(healthy).toBe(true);
    // Several writes: each waits ≥ 20 ms for its fsync, and all must be acknowledged and readable.
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      const put = await fetch(`${client}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key: 'YQ==', value: Buffer.from(`v${i}`).toString('base64') }),
      });
      expect(put.status).toBe(200);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 20);
    const range = (await fetch(`${client}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: 'YQ==' }),
    }).then((r) => r.json())) as { kvs?: { value: string }[] };
    expect(range.kvs?.map((kv) => Buffer.from(kv.value, 'base64').toString())).toEqual(['v4']);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  const warned = stderr
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; testFsyncDelayMs?: number });
  expect(warned.find((l) => l.msg.startsWith('TEST ONLY'))?.testFsyncDelayMs).toBe(20);
}, 40_000);
