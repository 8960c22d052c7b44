// The checker must have teeth: an unsafe configuration built in the harness
// (reads served locally by whichever node is asked, `serializable`, but
// recorded as linearizable) must be caught when the asked node is an old
// leader cut off by a partition while the majority moves on.

import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  DEFAULT_SIMULATION,
  flotillaStarter,
  formatCheckResult,
  HistoryRecorder,
  issue,
  registerModel,
  runSimulation,
  SimCluster,
  SimRuntime,
  type ClientEnv,
  type SimulatedNode,
} from '../src/cluster.js';

const unsafeReads = { timeoutMs: 400, readConsistency: 'serializable' as const };

describe('checker self-test against an unsafe read path', () => {
  it('finds the stale read served by a partitioned old leader', async () => {
    const rt = new SimRuntime(99);
    const cluster = new SimCluster(rt, { nodes: 3, snapshotEntries: 100_000 }, flotillaStarter());
    const recorder = new HistoryRecorder({ now: () => rt.now });
    let process = 0;
    const env: ClientEnv = {
      runtime: rt,
      recorder,
      reachable: () => cluster.up(),
      newProcess: () => process++,
    };
    await rt.drive(cluster.start(), 5_000, 'start');
    expect(await rt.runUntilTrue(() => cluster.leaderId() !== undefined, 5_000)).toBe(true);
    const oldLeader = cluster.leaderId() as number;
    const node = (id: number) => cluster.node(id) as SimulatedNode;

    const first = await rt.drive(
      issue(
        env,
        env.newProcess(),
        node(oldLeader),
        { op: 'write', key: 'k0', value: 'a' },
        unsafeReads,
      ),
      1_000,
      'write a',
    );
    expect(first.result).toBeDefined();
    // Let the write reach the followers before cutting the leader off.
    await rt.runFor(100);
    cluster.network.faults.isolate(oldLeader);
    const moved = await rt.runUntilTrue(() => {
      const l = cluster.leaderId();
      return l !== undefined && l !== oldLeader;
    }, 5_000);
    expect(moved).toBe(true);
    const newLeader = cluster.leaderId() as number;
    const second = await rt.drive(
      issue(
        env,
        env.newProcess(),
        node(newLeader),
        { op: 'write', key: 'k0', value: 'b' },
        unsafeReads,
      ),
      1_000,
      'write b',
    );
    expect(second.result).toBeDefined();
    const stale = await rt.drive(
      issue(env, env.newProcess(), node(oldLeader), { op: 'read', key: 'k0' }, unsafeReads),
      1_000,
      'stale read',
    );
    expect(stale.result?.value).toBe('a');
    await rt.drive(cluster.close(), 5_000, 'close');

    const history = recorder.history();
    const result = checkLinearizable(registerModel, history);
    expect(result.verdict).toBe('violation');
    const staleOp = history[history.length - 1];
    expect(result.violations[0]?.culpritOpId).toBe(staleOp?.id);
    expect(formatCheckResult(registerModel, history, result)).toMatch(/read k0/);
  });

  it('finds violations in generated runs when reads are served locally, and none when they are linearizable', async () => {
    const schedule = (seed: number) => ({
      seed,
      nodes: 3 as const,
      snapshotEntries: 100_000,
      durationMs: 2_500,
      faults: [
        {
          atMs: 500,
          fault: { kind: 'partition' as const, shape: 'isolateLeader' as const, pick: 0 },
        },
        { atMs: 1_800, fault: { kind: 'heal' as const } },
      ],
    });
    let caught = 0;
    const seeds = [1, 2, 3, 4];
    for (const seed of seeds) {
      const unsafe = await runSimulation(schedule(seed), flotillaStarter(), {
        ...DEFAULT_SIMULATION,
        workload: { ...DEFAULT_SIMULATION.workload, readConsistency: 'serializable' },
      });
      if (unsafe.check.verdict === 'violation') caught++;
      const safe = await runSimulation(schedule(seed), flotillaStarter(), DEFAULT_SIMULATION);
      expect(safe.check.verdict, formatCheckResult(registerModel, safe.history, safe.check)).toBe(
        'ok',
      );
    }
    console.log(`unsafe local reads caught in ${caught} of ${seeds.length} generated runs`);
    expect(caught).toBeGreaterThan(0);
  });
});
