// Runs the real `etcdctl` (ETCDCTL_API=3, Debian's etcd-client) and collects
// its output; `watchUntil` runs a never-ending watch until enough lines came.
import { spawn } from 'node:child_process';

export interface EtcdctlResult {
  readonly code: number | null;
  readonly stdout: string;
  /** stderr without clientv3's JSON log lines (retry warnings, snapshot progress). */
  readonly stderr: string;
}

export const ETCDCTL_BIN = process.env['ETCDCTL_BIN'] ?? 'etcdctl';

function plainStderr(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('{'))
    .join('\n');
}

/** Answers that say the request was not proposed (no leader at that moment): safe to repeat, even for a write. */
const NOT_PROPOSED = /^Error: etcdserver: (not leader|no leader)$/m;
const NOT_PROPOSED_RETRIES = 20;

/**
 * Runs one etcdctl command. On this shared machine an election can happen
 * mid-session; Flotilla then answers "not leader" at once where etcd would
 * hold the request until the election ends, so such an answer is retried
 * (bounded) rather than compared.
 */
export async function etcdctl(
  endpoints: readonly string[],
  args: readonly string[],
  input = '',
  timeoutMs = 15_000,
): Promise<EtcdctlResult> {
  for (let attempt = 0; ; attempt++) {
    const result = await etcdctlOnce(endpoints, args, input, timeoutMs);
    if (result.code === 0 || !NOT_PROPOSED.test(result.stderr) || attempt >= NOT_PROPOSED_RETRIES)
      return result;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function etcdctlOnce(
  endpoints: readonly string[],
  args: readonly string[],
  input: string,
  timeoutMs: number,
): Promise<EtcdctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      ETCDCTL_BIN,
      ['--endpoints', endpoints.join(','), '--command-timeout', '5s', ...args],
      {
        env: { ...process.env, ETCDCTL_API: '3' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `etcdctl ${args.join(' ')} did not finish within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: plainStderr(stderr) });
    });
    child.stdin.end(input);
  });
}

/** Runs `etcdctl watch ...` until its stdout has `lines` lines (bounded by timeoutMs), then stops it. */
export function watchUntil(
  endpoints: readonly string[],
  args: readonly string[],
  lines: number,
  timeoutMs = 10_000,
): Promise<EtcdctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL_BIN, ['--endpoints', endpoints.join(','), 'watch', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `etcdctl watch ${args.join(' ')}: ${lines} lines did not arrive within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.split('\n').length > lines) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({
        code: 0,
        stdout: stdout.split('\n').slice(0, lines).join('\n'),
        stderr: plainStderr(stderr),
      });
    });
  });
}
