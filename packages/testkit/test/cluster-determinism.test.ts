import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SIMULATION,
  flotillaStarter,
  formatCheckResult,
  registerModel,
  runSimulation,
  type FaultSchedule,
} from '../src/cluster.js';

const schedule: FaultSchedule = {
  seed: 1234,
  nodes: 3,
  snapshotEntries: 16,
  durationMs: 2_000,
  faults: [
    { atMs: 300, fault: { kind: 'partition', shape: 'isolateLeader', pick: 0 } },
    { atMs: 900, fault: { kind: 'heal' } },
    {
      atMs: 1_000,
      fault: { kind: 'crash', target: { role: 'follower', pick: 1 }, downMs: 300, tear: true },
    },
    { atMs: 1_400, fault: { kind: 'pause', target: { role: 'leader', pick: 0 }, forMs: 300 } },
  ],
};

describe('whole-cluster simulation', () => {
  it('replays a seed and schedule to the identical history, and the history is linearizable', async () => {
    const t = performance.now();
    const a = await runSimulation(schedule, flotillaStarter(), DEFAULT_SIMULATION);
    const ms = performance.now() - t;
    const b = await runSimulation(schedule, flotillaStarter(), DEFAULT_SIMULATION);
    console.log(`one run: ${JSON.stringify(a.stats)} in ${ms.toFixed(0)} ms real`);
    expect(a.check.verdict, formatCheckResult(registerModel, a.history, a.check)).toBe('ok');
    expect(a.invariantViolations).toEqual([]);
    expect(a.liveness).toEqual([]);
    expect(a.stats.ok).toBeGreaterThan(20);
    expect(b.history).toEqual(a.history);
    expect(b.log).toEqual(a.log);
  });
});
