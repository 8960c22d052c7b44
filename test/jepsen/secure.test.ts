// long-running: real processes. `pnpm jepsen --secure`, bounded: the Flotilla
// target with TLS everywhere (certificates made for the run, peer mTLS through
// the per-pair TCP proxies) and auth on (the workloads' clients log in as
// root), under partitions and kills for 15 s of client time. The run checks
// itself that a write without credentials is refused once auth is enabled.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runTest } from '../../jepsen/src/run.js';
import { requireBuild, summary } from './run-helpers.js';

it('stays linearizable and loses no acknowledged add with TLS and auth on, under partitions and kills', async () => {
  requireBuild();
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-jepsen-secure-'));
  const v = await runTest({
    target: 'flotilla',
    nodes: 3,
    workloads: ['register', 'set'],
    nemeses: ['partition', 'kill'],
    timeS: 15,
    seed: 105,
    secure: true,
    outDir,
  });
  expect(
    v.notes.some((n) =>
      n.startsWith(
        'secure: HTTPS client ports with client certificates, peer mTLS through the proxies, auth enabled',
      ),
    ),
    summary(v),
  ).toBe(true);
  expect(v.replay).toMatch(/ --secure$/);
  expect(v.faults.length, summary(v)).toBeGreaterThan(0);
  expect(v.valid, summary(v)).toBe(true);
  const set = v.workloads.find((w) => w.workload === 'set');
  expect(set?.stats['lost'], summary(v)).toBe(0);
  expect(set?.stats['ok'], summary(v)).toBeGreaterThan(0);
  const register = v.workloads.find((w) => w.workload === 'register');
  expect(register?.stats['ok'], summary(v)).toBeGreaterThan(0);
}, 60_000);
