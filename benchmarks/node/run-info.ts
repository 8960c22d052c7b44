// What every node benchmark's result file records about its run: when, which
// commit, and the machine with its load (the numbers mean little without it).
import { execSync } from 'node:child_process';
import os from 'node:os';

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function runInfo(benchmark: string, cwd: string) {
  let git = '';
  try {
    git = execSync('git rev-parse --short HEAD', { cwd }).toString().trim();
  } catch {
    // not a checkout
  }
  return {
    benchmark,
    when: new Date().toISOString(),
    git,
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.version,
      loadavg: os.loadavg().map(round3),
    },
  };
}
