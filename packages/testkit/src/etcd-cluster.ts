// Starts a real etcd cluster on loopback, for the tests and benchmarks that
// compare Flotilla with etcd. etcd comes from Debian's etcd-server package
// (.ci/install-system-deps installs it).
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@flotilla/transport';

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  process: ChildProcess | undefined;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Client URLs, e.g. http://127.0.0.1:23790 */
  readonly endpoints: readonly string[];
  kill(index: number, signal?: NodeJS.Signals): void;
  start(index: number): void;
  stop(): Promise<void>;
}

export interface EtcdClusterOptions {
  size?: number;
  /** Parent directory for the members' data; a fresh temporary one by default. */
  baseDir?: string;
  /** etcd's --heartbeat-interval and --election-timeout; etcd's defaults (100, 1000) if unset. */
  heartbeatMs?: number;
  electionMs?: number;
  readyTimeoutMs?: number;
  binary?: string;
}

export class EtcdNotInstalledError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'EtcdNotInstalledError';
}

export function findEtcdBinary(explicit?: string): string {
  const candidates = [
    explicit,
    process.env.ETCD_BIN,
    '/usr/bin/etcd',
    '/usr/local/bin/etcd',
  ].filter((c): c is string => typeof c === 'string' && c.length > 0);
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new EtcdNotInstalledError(
      'etcd was not found. Install it with `apt-get install -y etcd-server` (or set ETCD_BIN).',
    );
  }
  return found;
}

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`);
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
      lastError = JSON.stringify(body);
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `etcd at ${url} did not become healthy within ${timeoutMs} ms (last: ${lastError})`,
  );
}

export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const binary = findEtcdBinary(options.binary);
  const size = options.size ?? 3;
  const baseDir = options.baseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-etcd-'));
  const members: EtcdMember[] = [];
  for (let i = 0; i < size; i++) {
    const name = `etcd${i + 1}`;
    members.push({
      name,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: path.join(baseDir, name),
      process: undefined,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const token = `flotilla-${process.pid}-${Date.now()}`;

  const start = (index: number): void => {
    const m = members[index];
    if (!m) throw new RangeError(`no etcd member ${index}`);
    const args = [
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      m.clientUrl,
      '--advertise-client-urls',
      m.clientUrl,
      '--listen-peer-urls',
      m.peerUrl,
      '--initial-advertise-peer-urls',
      m.peerUrl,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-token',
      token,
      '--initial-cluster-state',
      'new',
      '--log-level',
      'error',
      '--logger',
      'zap',
    ];
    if (options.heartbeatMs) args.push('--heartbeat-interval', String(options.heartbeatMs));
    if (options.electionMs) args.push('--election-timeout', String(options.electionMs));
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.resume();
    m.process = child;
    child.once('exit', () => {
      if (m.process === child) m.process = undefined;
    });
  };

  for (let i = 0; i < size; i++) start(i);
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  await Promise.all(members.map((m) => waitHealthy(m.clientUrl, readyTimeoutMs)));

  return {
    members,
    endpoints: members.map((m) => m.clientUrl),
    kill(index, signal = 'SIGKILL') {
      members[index]?.process?.kill(signal);
    },
    start,
    async stop() {
      await Promise.all(
        members.map(
          (m) =>
            new Promise<void>((resolve) => {
              const child = m.process;
              if (!child || child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
      if (!options.baseDir) fs.rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
