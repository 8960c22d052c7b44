// long-running: real processes. `pnpm jepsen --client grpc`, bounded: the
// Flotilla target driven through the etcd3 npm client over etcd's v3 gRPC API
// (the client the etcd control uses), register + set + watch + append for
// 25 s of client time while the leader is isolated, SIGKILLed and paused.
// About 40 s; the report's path is in any failure message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runTest } from '../../jepsen/src/run.js';
import { requireBuild, summary } from './run-helpers.js';

it('stays linearizable and serializable through the etcd3 gRPC client under leader isolation, kills and pauses', async () => {
  requireBuild();
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-jepsen-grpc-'));
  const v = await runTest({
    target: 'flotilla',
    client: 'grpc',
    nodes: 3,
    workloads: ['register', 'set', 'watch', 'append'],
    nemeses: ['partition-isolate-leader', 'kill-leader', 'pause-leader'],
    timeS: 25,
    seed: 106,
    outDir,
  });
  expect(v.settings['client'], summary(v)).toBe('grpc');
  expect(v.replay, summary(v)).toContain('--client grpc');
  expect(v.faults.length, summary(v)).toBeGreaterThan(0);
  expect(v.valid, summary(v)).toBe(true);
  const stats = (name: string): Record<string, number> =>
    v.workloads.find((w) => w.workload === name)?.stats ?? {};
  expect(stats('register')['ok'], summary(v)).toBeGreaterThan(0);
  expect(stats('set')['ok'], summary(v)).toBeGreaterThan(0);
  expect(stats('set')['lost'], summary(v)).toBe(0);
  expect(stats('watch')['eventsDelivered'], summary(v)).toBeGreaterThan(0);
  expect(stats('append')['committed'], summary(v)).toBeGreaterThan(0);
}, 90_000);
