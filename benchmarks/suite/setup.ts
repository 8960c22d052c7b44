// What a run was measured on: CPU, memory, Node, etcd version, load, and the
// disk's fsync latency measured at the start (the floor under every durable write).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LatencyHistogram, type LatencySummary } from './histogram.js';

export interface MachineSetup {
  readonly date: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly etcdVersion: string;
  readonly gitCommit: string;
  /** 1-minute load average when the run started (other jobs share this machine). */
  readonly loadAverage1m: number;
  /** 4 KiB write + fdatasync in the directory the clusters' data goes to. */
  readonly fsync: LatencySummary & { readonly dir: string };
}

const FSYNC_SAMPLES = 200;
const FSYNC_BLOCK_BYTES = 4096;

/** Times `samples` appends of 4 KiB, each followed by fdatasync (what a synced LevelDB/WAL write costs at least). */
export function measureFsync(dir: string, samples = FSYNC_SAMPLES): LatencySummary {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `fsync-probe-${process.pid}.bin`);
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(FSYNC_BLOCK_BYTES, 7);
  const h = new LatencyHistogram();
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      fs.writeSync(fd, block);
      fs.fdatasyncSync(fd);
      h.record(performance.now() - t0);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return h.summary();
}

function commandOutput(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      ...(cwd ? { cwd } : {}),
    }).trim();
  } catch {
    return 'unknown';
  }
}

export function describeMachine(dataDir: string, repoDir: string): MachineSetup {
  const etcd =
    commandOutput(process.env['ETCD_BIN'] ?? 'etcd', ['--version']).split('\n')[0] ?? 'unknown';
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    etcdVersion: etcd.replace(/^etcd Version:\s*/, ''),
    gitCommit: commandOutput('git', ['rev-parse', '--short', 'HEAD'], repoDir),
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
    fsync: { ...measureFsync(dataDir), dir: dataDir },
  };
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (Linux). */
export function rssBytesOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}
