// Schedules the property suite found failing, kept as regression tests: each
// replays exactly (seed + schedule) and must stay linearizable, with never two
// lock holders at once.

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SIMULATION,
  flotillaStarter,
  formatCheckResult,
  formatMutexViolations,
  registerModel,
  runSimulation,
  type FaultSchedule,
} from '../src/cluster.js';

async function expectLinearizable(schedule: FaultSchedule): Promise<void> {
  const r = await runSimulation(schedule, flotillaStarter(), DEFAULT_SIMULATION);
  expect(
    r.check.verdict,
    `${formatCheckResult(registerModel, r.history, r.check)}\n${r.log.join('\n')}`,
  ).toBe('ok');
  expect(r.invariantViolations).toEqual([]);
  expect(r.liveness).toEqual([]);
  expect(r.locks.violations, formatMutexViolations(r.locks.violations)).toEqual([]);
}

describe('whole-cluster regressions', () => {
  it('applies a forwarded write once even when the network duplicates the forwarded request', async () => {
    // Found: a put acknowledged at revision r was read back at modRevision r + 1 (applied twice).
    await expectLinearizable({
      seed: 1674291603,
      nodes: 3,
      snapshotEntries: 8,
      durationMs: 3_000,
      faults: [
        { atMs: 0, fault: { kind: 'noise', dropP: 0, duplicateP: 0.05, reorderP: 0, forMs: 560 } },
      ],
    });
  });

  it('never answers NotLeaderError for a write that is applied (paused old leader, transfers, noise)', async () => {
    // Found: write k0=v142 sent to a paused old leader failed with NotLeaderError, yet a read saw v142.
    await expectLinearizable({
      seed: 1231538628,
      nodes: 3,
      snapshotEntries: 100_000,
      durationMs: 4_000,
      faults: [
        { atMs: 1144, fault: { kind: 'transferLeadership', target: { role: 'leader', pick: 5 } } },
        { atMs: 1162, fault: { kind: 'pause', target: { role: 'leader', pick: 2 }, forMs: 1994 } },
        { atMs: 2253, fault: { kind: 'transferLeadership', target: { role: 'leader', pick: 4 } } },
        {
          atMs: 2412,
          fault: { kind: 'crash', target: { role: 'any', pick: 5 }, downMs: 182, tear: false },
        },
        {
          atMs: 2521,
          fault: { kind: 'noise', dropP: 0.2, duplicateP: 0, reorderP: 0.1, forMs: 1396 },
        },
        { atMs: 2953, fault: { kind: 'transferLeadership', target: { role: 'leader', pick: 2 } } },
        {
          atMs: 3888,
          fault: { kind: 'crash', target: { role: 'leader', pick: 3 }, downMs: 1568, tear: false },
        },
      ],
    });
  });

  it('never renews a lease whose expiry is already due or in flight (a paused leader, a stalled holder)', async () => {
    // Found (random seed 1368116312): the old leader paused; the holder stalled past its lease, then its
    // keep-alive reached the new leader while the lease's expiry was in flight and was answered with a
    // full TTL; the expiry committed and another client took the lock: two holders at once.
    await expectLinearizable({
      seed: 2044759266,
      nodes: 3,
      snapshotEntries: 8,
      durationMs: 3_000,
      kvLimits: { clientsMax: 2, clientIdleEntriesMax: 20 },
      faults: [
        { atMs: 766, fault: { kind: 'pause', target: { role: 'leader', pick: 0 }, forMs: 985 } },
      ],
    });
  });
});
