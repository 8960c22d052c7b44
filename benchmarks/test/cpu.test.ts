import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { cpuBetween, cpuMark, procCpuMs, threadCpuUs } from '../suite/cpu.js';

/** Spins until this process has used `ms` more CPU (wall time would vary with the machine's load). */
const burn = (ms: number): void => {
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const end = cpu() + ms;
  while (cpu() < end);
};

describe('CPU per write', () => {
  it('/proc/<pid>/stat agrees with process.cpuUsage() for this process', () => {
    burn(150);
    const proc = procCpuMs(process.pid)!;
    const u = process.cpuUsage();
    // /proc counts in 10 ms ticks.
    expect(Math.abs(proc - (u.user + u.system) / 1000)).toBeLessThan(40);
  });

  it('a gone process reads as undefined', () => {
    expect(procCpuMs(2 ** 22 + 12345)).toBeUndefined();
  });

  it('counts a busy child by its pid, this process by cpuUsage, and divides by the writes', async () => {
    // A child whose name has a space and parentheses: /proc's comm field must not shift the columns.
    const child = spawn(process.execPath, [
      '-e',
      'process.title = "a (b) c"; const c = () => process.cpuUsage().user / 1000; const e = c() + 300; while (c() < e); setTimeout(() => {}, 10_000)',
    ]);
    try {
      const before = cpuMark([process.pid, child.pid]);
      burn(100);
      let after = cpuMark([process.pid, child.pid]);
      for (let i = 0; i < 100 && (after.members[1] ?? 0) - (before.members[1] ?? 0) < 200; i++) {
        await new Promise((r) => setTimeout(r, 20));
        after = cpuMark([process.pid, child.pid]);
      }
      const rec = cpuBetween(before, after, 1000);
      expect(rec.byProcessMs.client).toBeGreaterThanOrEqual(90);
      expect(rec.byProcessMs['member 1']).toBeGreaterThanOrEqual(200);
      expect(rec.byProcessMs['member 0']).toBeUndefined(); // this process: counted once, as the client
      const totalMs = rec.byProcessMs.client! + rec.byProcessMs['member 1']!;
      expect(rec.usPerWrite).toBeCloseTo(totalMs, 0); // ms × 1000 ÷ 1000 writes = µs per write
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("a thread's CPU is its own: a busy worker's does not count on this thread", async () => {
    const self0 = threadCpuUs()!;
    burn(100);
    const self1 = threadCpuUs()!;
    expect(self1 - self0).toBeGreaterThanOrEqual(90_000);
    // The worker burns 200 ms of process CPU while this thread waits for it to exit.
    const worker = new Worker(
      'const c = () => process.cpuUsage().user / 1000; const e = c() + 200; while (c() < e);',
      { eval: true },
    );
    await new Promise((resolve) => worker.once('exit', resolve));
    expect(threadCpuUs()! - self1).toBeLessThan(60_000);
  });
});
