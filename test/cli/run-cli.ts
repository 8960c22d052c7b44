// Runs the real `flotilla` binary (packages/server/bin/flotilla.js, built
// dist/) as a child process and collects its output.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';
import {
  DEFAULT_BIN,
  MemberExitedError,
  ProcessCluster,
  type ProcessClusterOptions,
} from '../../packages/server/src/demo/process-cluster.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string;
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEFAULT_BIN, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `flotilla ${args.join(' ')} did not finish within ${options.timeoutMs ?? 15_000} ms; stdout: ${stdout}; stderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Lines of stdout without the trailing empty one. */
export function lines(result: CliResult): string[] {
  return result.stdout.replace(/\n$/, '').split('\n');
}

/** Polls `check` every 50 ms until it returns a value; fails after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A command that failed with one line on stderr (no stack), nothing on stdout, and exit `code`. */
export function expectOneLineError(r: CliResult, code: number, text: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd()).toMatch(text);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

/**
 * Three `flotilla start` processes under `baseDir`, healthy. Ports are chosen free and bound
 * later; if another test took one meanwhile, a member exits: start over once.
 */
export async function startHealthyCluster(
  baseDir: string,
  options: Omit<ProcessClusterOptions, 'baseDir'> = {},
): Promise<ProcessCluster> {
  for (let attempt = 1; ; attempt++) {
    const cluster = await ProcessCluster.create({
      baseDir: path.join(baseDir, `try${attempt}`),
      logLevel: 'warn',
      ...options,
    });
    cluster.startAll();
    try {
      await cluster.waitHealthy(30_000);
      return cluster;
    } catch (err) {
      await cluster.close();
      if (!(err instanceof MemberExitedError) || attempt >= 2) throw err;
    }
  }
}
