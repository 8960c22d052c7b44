// `pnpm demo` in its non-interactive mode, end to end: three real processes,
// a SIGKILLed leader, and the checks the demo itself makes. It must exit 0
// and print the measured failover time and each follower's state latency.
// --secure runs the same walk-through with TLS everywhere and auth on; --keep
// leaves the cluster serving (also without a terminal) until a signal.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const DEMO = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../packages/server/dist/demo/main.js',
);

function runDemo(
  args: readonly string[],
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, '--ci', ...args], {
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not finish within 60 s\n${out}\n${err}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

it('the demo runs end to end in CI mode, reports RTO and state latency, and exits 0', async () => {
  const started = Date.now();
  const result = await runDemo([]);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  expect(result.out).toMatch(/was elected leader in term \d+/);
  expect(result.out).toMatch(/The watch on n\d saw all 30 events, in revision order/);
  expect(result.out).toMatch(/RTO: \d+ ms from SIGKILL to the first acknowledged write/);
  expect(
    result.out.match(/^ {5}n\d: p50 [\d.]+ ms, p99 [\d.]+ ms \(\d+ samples\)$/gm),
  ).toHaveLength(2);
  expect(result.out.match(/all \d+ acknowledged writes present/g)).toHaveLength(3);
  expect(result.out).toContain('pnpm demo --keep');
  expect(Date.now() - started).toBeLessThan(60_000);
}, 70_000);

it('pnpm demo --secure runs the same walk-through over HTTPS with client certificates, peer mTLS and auth on', async () => {
  const result = await runDemo(['--secure']);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  expect(result.out).toMatch(
    /^Secure mode: certificates in .*certs; HTTPS client ports with --client-cert-auth, mutual TLS between peers; auth is enabled once a leader is elected\.$/m,
  );
  expect(result.out).toMatch(
    /auth enabled: users root and demo \(role demo: readwrite on demo\/\*\); the demo now writes as demo/,
  );
  expect(result.out).toMatch(
    /started n1: peers on https:\/\/127\.0\.0\.1:\d+, clients on https:\/\/127\.0\.0\.1:\d+/,
  );
  expect(result.out).toMatch(/The watch on n\d saw all 30 events, in revision order/);
  expect(result.out.match(/all \d+ acknowledged writes present/g)).toHaveLength(3);
  expect(result.out).toMatch(
    /--endpoints https:\/\/\S+ --cacert \S+ca\.crt --cert \S+client\.crt --key \S+client\.key --user demo:\S+ put demo\/greeting hello/,
  );
  expect(result.out).toMatch(/--user root:\S+ endpoint status --cluster/);
}, 70_000);

it('pnpm demo --keep leaves the cluster serving without a terminal, until SIGTERM stops it', async () => {
  const child = spawn(process.execPath, [DEMO, '--keep'], {
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    const deadline = Date.now() + 60_000;
    while (!out.includes('The cluster keeps running') && Date.now() < deadline) {
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(out, `the demo's stderr:\n${err}`).toContain('The cluster keeps running');
    // The printed commands work: a put through the first endpoint it names.
    const endpoint = /--endpoints (http:\/\/[\d.:]+)/.exec(out)?.[1];
    expect(endpoint).toBeDefined();
    const res = await fetch(`${endpoint}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({ key: 'Z3JlZXRpbmc=', value: 'aGVsbG8=' }),
    });
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    expect(await closed).toBe(130);
    await expect(fetch(`${endpoint}/health`)).rejects.toThrow();
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 90_000);
