// Schedules that once failed, kept as exact regression tests (docs/conventions.md, convention 10:
// "a failing seed becomes a regression test"). Each names what it found.
import { describe, expect, it } from 'vitest';
import { RawNode, seededRng } from '@flotilla/raft';
import type { LoadedState } from '@flotilla/storage';
import {
  checkRaftSchedules,
  RaftPropertyFailure,
  runRaftSchedule,
  type SimStep,
} from '../src/raft-sim.js';

const voters = { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] };

describe('Raft simulation regressions', () => {
  // Found by size 3, seed 20250003: a crash tore a snapshot install, keeping the
  // snapshot but not the hard state written with it. The core refused to boot.
  const tornInstall: SimStep[] = [
    { event: { kind: 'transferLeadership', pick: 0 }, ticks: 3 },
    { event: { kind: 'propose', count: 1, pick: 0 }, ticks: 0 },
    { event: { kind: 'restart', pick: 0 }, ticks: 1 },
    { event: { kind: 'propose', count: 1, pick: 0 }, ticks: 0 },
    { event: { kind: 'quiet' }, ticks: 2 },
    { event: { kind: 'partition', shape: 'halves', pick: 0 }, ticks: 17 },
    { event: { kind: 'propose', count: 1, pick: 0 }, ticks: 0 },
    { event: { kind: 'propose', count: 1, pick: 0 }, ticks: 0 },
    { event: { kind: 'propose', count: 1, pick: 0 }, ticks: 0 },
    { event: { kind: 'crash', pick: 0, tear: true }, ticks: 0 },
    { event: { kind: 'restart', pick: 0 }, ticks: 0 },
    { event: { kind: 'heal' }, ticks: 1 },
    { event: { kind: 'slowDisk', pick: 0, delayMsMax: 80 }, ticks: 2 },
    { event: { kind: 'partition', shape: 'halves', pick: 0 }, ticks: 0 },
    { event: { kind: 'restart', pick: 0 }, ticks: 0 },
    { event: { kind: 'propose', count: 1, pick: 0 }, ticks: 0 },
    { event: { kind: 'crash', pick: 0, tear: true }, ticks: 0 },
  ];

  it('a node restarts when its stored commit lags its snapshot (torn snapshot install)', async () => {
    await runRaftSchedule({ seed: 1753630342, size: 3 }, tornInstall);
    const raw = new RawNode({
      id: 1,
      rng: seededRng(1),
      initial: {
        hardState: { term: 2, vote: 1, commit: 4 },
        confState: voters,
        entries: [],
        snapshotMeta: { index: 8, term: 2, confState: voters },
      },
    });
    expect(raw.status().hardState.commit).toBe(8);
  });

  // Found by size 7, seed 20250007: a snapshot arrived while a slow write was in
  // flight; compacting at the applied index then returned the received
  // snapshot's meta, and the driver would have stored older state under it.
  const snapshotDuringWrite: SimStep[] = [
    { event: { kind: 'propose', count: 2, pick: 0 }, ticks: 1 },
    { event: { kind: 'partition', shape: 'isolateOne', pick: 570 }, ticks: 0 },
    { event: { kind: 'propose', count: 2, pick: 0 }, ticks: 0 },
    { event: { kind: 'partition', shape: 'isolateOne', pick: 176 }, ticks: 2 },
    { event: { kind: 'propose', count: 1, pick: 0 }, ticks: 3 },
    { event: { kind: 'partition', shape: 'isolateOne', pick: 0 }, ticks: 11 },
    { event: { kind: 'restart', pick: 0 }, ticks: 3 },
    { event: { kind: 'propose', count: 2, pick: 0 }, ticks: 0 },
    { event: { kind: 'heal' }, ticks: 3 },
    { event: { kind: 'read', pick: 0 }, ticks: 2 },
    { event: { kind: 'propose', count: 3, pick: 0 }, ticks: 0 },
    { event: { kind: 'transferLeadership', pick: 745 }, ticks: 1 },
    { event: { kind: 'slowDisk', pick: 0, delayMsMax: 80 }, ticks: 8 },
    { event: { kind: 'propose', count: 3, pick: 0 }, ticks: 0 },
    { event: { kind: 'propose', count: 2, pick: 0 }, ticks: 0 },
    { event: { kind: 'propose', count: 2, pick: 0 }, ticks: 2 },
    { event: { kind: 'propose', count: 4, pick: 0 }, ticks: 1 },
    {
      event: { kind: 'noise', dropP: 0, duplicateP: 0.1, reorderP: 0.5, delayMsMax: 3 },
      ticks: 0,
    },
    { event: { kind: 'restart', pick: 0 }, ticks: 0 },
    { event: { kind: 'transferLeadership', pick: 0 }, ticks: 1 },
  ];

  it('a driver does not compact below a received snapshot that is pending', async () => {
    await runRaftSchedule({ seed: 1075430072, size: 7 }, snapshotDuringWrite);
  });
});

describe('property failure reporting', () => {
  it('a failing run reports its seed, path and a replay command that reproduces it', async () => {
    // A storage that drops its last synced entry on restart: found within a few schedules.
    const dropLast = (_: number, l: LoadedState): LoadedState => {
      const kept = l.entries.slice(0, -1);
      const last = (l.snapshotMeta?.index ?? 0) + kept.length;
      return {
        ...l,
        entries: kept,
        lastIndex: last,
        hardState: { ...l.hardState, commit: Math.min(l.hardState.commit, last) },
      };
    };
    const sim = { injection: { afterLoad: dropLast } };
    const config = {
      size: 3,
      numRuns: 400,
      seed: 3,
      testFile: 'packages/testkit/test/raft-regressions.test.ts',
      testName: 'replay',
      sim,
      env: {},
      shrink: false,
    };
    const failure = await checkRaftSchedules(config).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(RaftPropertyFailure);
    const f = failure as RaftPropertyFailure;
    expect(f.replayCommand).toBe(
      `FLOTILLA_SIM_SEED=${f.seed} FLOTILLA_SIM_PATH=${f.path} npx vitest run packages/testkit/test/raft-regressions.test.ts -t 'replay'`,
    );
    expect(f.message).toContain(f.replayCommand);
    const again = await checkRaftSchedules({
      ...config,
      env: { FLOTILLA_SIM_SEED: String(f.seed), FLOTILLA_SIM_PATH: f.path },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String((again as RaftPropertyFailure).cause)).toBe(String(f.cause));
  }, 60_000);
});
