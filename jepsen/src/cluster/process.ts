// Spawning and signalling one child process with its output in a log file;
// a last-resort exit hook SIGKILLs whatever is still running when the runner
// exits, so no node outlives a crashed test.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

const live = new Set<ChildProcess>();
let hooked = false;

export function spawnLogged(
  command: string,
  args: readonly string[],
  logFile: string,
): ChildProcess {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function isAlive(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Signals the child; for signals that end it, waits for the exit (a stopped process is continued first so it can die). */
export async function signalChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals,
): Promise<void> {
  if (!isAlive(child)) return;
  const ends = signal === 'SIGKILL' || signal === 'SIGTERM';
  const gone = ends
    ? new Promise<void>((resolve) => child.once('exit', () => resolve()))
    : Promise.resolve();
  child.kill(signal);
  await gone;
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes. */
export async function pollUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
