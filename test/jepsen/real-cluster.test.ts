// long-running: real processes. The bounded CI version of the Jepsen-style
// suite: real `flotilla start` processes (the built bin), real TCP through the
// interposed proxies, real LevelDB, real SIGKILL/SIGSTOP. Register + set +
// watch run together under each nemesis family for ~40 s of client time,
// then the unsafe control (local reads presented as linearizable) under
// partitions must be caught. About 3 minutes in all; the reports are written
// under the OS temp directory and their paths are in any failure message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTest, type RunVerdict } from '../../jepsen/src/run.js';
import { requireBuild as built, summary } from './run-helpers.js';

const CLIENT_S = 40;
const TEST_TIMEOUT_MS = 150_000;
const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-jepsen-ci-'));

async function run(
  name: string,
  nemeses: string[],
  seed: number,
  timeS = CLIENT_S,
): Promise<RunVerdict> {
  built();
  return runTest({
    target: 'flotilla',
    nodes: 3,
    workloads: ['register', 'set', 'watch'],
    nemeses,
    timeS,
    seed,
    outDir: path.join(outRoot, name),
  });
}

function expectValid(v: RunVerdict): void {
  expect(v.faults.length, summary(v)).toBeGreaterThan(0);
  expect(v.valid, summary(v)).toBe(true);
  const set = v.workloads.find((w) => w.workload === 'set');
  expect(set?.stats['lost'], summary(v)).toBe(0);
  expect(set?.stats['ok'], summary(v)).toBeGreaterThan(0);
  const watch = v.workloads.find((w) => w.workload === 'watch');
  expect(watch?.stats['eventsDelivered'], summary(v)).toBeGreaterThan(0);
}

describe('Flotilla under real faults (register + set + watch)', () => {
  it(
    'stays linearizable and loses no acknowledged add under partitions (halves, isolated leader, bridge, one-way)',
    async () => {
      expectValid(await run('partition', ['partition'], 101));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stays linearizable and loses no acknowledged add when nodes, the leader or a minority are SIGKILLed and restarted',
    async () => {
      expectValid(await run('kill', ['kill'], 102));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stays linearizable and loses no acknowledged add when nodes or the leader are paused with SIGSTOP',
    async () => {
      expectValid(await run('pause', ['pause'], 103));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stays linearizable and loses no acknowledged add when the log writes of a node or the leader fail (it stops itself and exits)',
    async () => {
      const v = await run('failing-disk', ['failing-disk'], 105, 25);
      expectValid(v);
      expect(
        v.faults.every((f) => f.kind.startsWith('failing-disk')),
        summary(v),
      ).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('the unsafe control', () => {
  it(
    'catches local reads presented as linearizable under partitions, and reports the stale read',
    async () => {
      built();
      const v = await runTest({
        target: 'flotilla',
        nodes: 3,
        workloads: ['register'],
        nemeses: ['partition-isolate-leader', 'partition-halves'],
        timeS: 25,
        seed: 104,
        unsafeReads: true,
        outDir: path.join(outRoot, 'unsafe'),
      });
      expect(v.valid, summary(v)).toBe(false);
      const register = v.workloads[0];
      const culprit = register?.failingOps?.find((r) => r.culprit);
      expect(culprit?.op, summary(v)).toMatch(/^read /);
      // The shrunk sub-history shows the read and the writes that make it stale.
      expect(register?.failingOps?.length ?? 0, summary(v)).toBeLessThanOrEqual(10);
      const html = fs.readFileSync(v.reportFile, 'utf8');
      expect(html).toContain('Smallest failing sub-history');
      expect(html).toContain('class="culprit"');
      expect(html).toContain((culprit?.saw ?? '<missing>').replace(/"/g, '&quot;'));
    },
    TEST_TIMEOUT_MS,
  );
});
