// `flotilla start --listen-client-grpc URL`: etcd's gRPC API on a port of its
// own, next to the client port (which serves it too); a malformed URL is a
// usage error. Real process, real etcdctl; needs the build.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../packages/transport/src/tcp/free-port.js';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BIN } from '../../packages/server/src/demo/process-cluster.js';
import { etcdctl } from './run-etcdctl.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-listen-grpc-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(
  grpcUrl: string,
): Promise<{ child: ChildProcess; exited: Promise<number | null>; stderr: () => string }> {
  const [peer, client] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      DEFAULT_BIN,
      'start',
      '--name',
      'n1',
      '--data-dir',
      path.join(dir, `d${children.length}`),
      '--listen-peer',
      `http://127.0.0.1:${peer}`,
      '--listen-client',
      `http://127.0.0.1:${client}`,
      '--initial-cluster',
      `n1=http://127.0.0.1:${peer}`,
      '--listen-client-grpc',
      grpcUrl,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, stderr: () => stderr };
}

describe('flotilla start --listen-client-grpc', () => {
  it('serves etcdctl on the separate gRPC port', async () => {
    const port = await freePort();
    const member = await start(`http://127.0.0.1:${port}`);
    const endpoint = [`127.0.0.1:${port}`];
    const deadline = Date.now() + 20_000;
    let put = await etcdctl(endpoint, ['put', 'k', 'v']);
    while (put.code !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      put = await etcdctl(endpoint, ['put', 'k', 'v']);
    }
    expect(put.stdout).toBe('OK\n');
    expect((await etcdctl(endpoint, ['get', 'k'])).stdout).toBe('k\nv\n');
    member.child.kill('SIGTERM');
    expect(await member.exited).toBe(0);
  });

  it('refuses a malformed URL with a usage error', async () => {
    const member = await start('127.0.0.1:abc');
    expect(await member.exited).toBe(2);
    expect(member.stderr()).toContain('--listen-client-grpc');
    // Refused before the data directory is created.
    expect(fs.existsSync(path.join(dir, `d${children.length - 1}`))).toBe(false);
  });
});
