// Workload names for `--workload`.
import { AppendWorkload } from './append.js';
import { LeaseLockWorkload } from './lease-lock.js';
import { LockWorkload } from './lock.js';
import { RegisterWorkload } from './register.js';
import { SetWorkload } from './set.js';
import { WatchWorkload } from './watch.js';
import type { Workload } from './workload.js';

export const WORKLOADS: Readonly<Record<string, () => Workload>> = {
  register: () => new RegisterWorkload(),
  set: () => new SetWorkload(),
  watch: () => new WatchWorkload(),
  append: () => new AppendWorkload(),
  lock: () => new LockWorkload(),
  'register-lease': () =>
    new RegisterWorkload({ name: 'register-lease', readConsistency: 'lease', keyPrefix: 'regl' }),
  'lease-lock': () => new LeaseLockWorkload(),
};

export class UnknownWorkloadError extends Error {
  override readonly name = 'UnknownWorkloadError';
  constructor(name: string) {
    super(
      `unknown workload "${name}"; available: ${Object.keys(WORKLOADS).join(', ')} (comma-separated to run several at once)`,
    );
  }
}

export function makeWorkloads(names: readonly string[]): Workload[] {
  return names.map((n) => {
    const make = WORKLOADS[n];
    if (!make) throw new UnknownWorkloadError(n);
    return make();
  });
}
