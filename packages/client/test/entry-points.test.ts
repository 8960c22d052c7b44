// @flotilla/client's main entry point must not load etcd3 and gRPC (a third of
// a second of start-up for the CLI and every embedding service, and etcd3 is an
// optional peer dependency); @flotilla/client/etcd does. Each import runs in a
// fresh process, since a module once loaded stays loaded.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const PROBE_TIMEOUT_MS = 30_000;

async function loadedBy(entry: string): Promise<{ etcd3: boolean; grpc: boolean }> {
  const file = path.join(here, '../src', entry);
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', path.join(here, 'load-probe.ts'), file],
    {
      cwd: path.join(here, '..'),
      timeout: PROBE_TIMEOUT_MS,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { etcd3: boolean; grpc: boolean };
}

describe('entry points', () => {
  it('@flotilla/client loads neither etcd3 nor gRPC', async () => {
    expect(await loadedBy('index.ts')).toEqual({ etcd3: false, grpc: false });
  });

  it('@flotilla/client/etcd loads both (the probe does see them)', async () => {
    expect(await loadedBy('etcd/index.ts')).toEqual({ etcd3: true, grpc: true });
  });
});
