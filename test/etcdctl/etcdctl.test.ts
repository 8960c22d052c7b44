// The real etcdctl (3.4, ETCDCTL_API=3) against a 3-member Flotilla of real
// `flotilla start` processes and against a 3-member etcd 3.4: the same
// scripted session, outputs compared after normalising what must differ
// (ids, names, ports, lease ids, timings, sizes, raft terms and indexes).
// Where Flotilla still answers differently, the difference is asserted in
// KNOWN_DIFFERENCES (and listed in packages/server/README.md), so a change
// either way is noticed. Needs the build (`npx tsc -b tsconfig.build.json`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBackup } from '../../packages/backup/src/index.js';
import { ProcessCluster } from '../../packages/server/src/demo/process-cluster.js';
import { startEtcdCluster, type EtcdCluster } from '../../packages/testkit/src/etcd-cluster.js';
import { runSession, type Step } from './session.js';

let dir: string;
let flotilla: ProcessCluster;
let etcd: EtcdCluster;
let fromFlotilla: Step[];
let fromEtcd: Step[];

const hostPort = (url: string): string => new URL(url).host;

/** Steps where Flotilla still answers differently; each check says how (see packages/server/README.md). */
const KNOWN_DIFFERENCES: Record<string, (flotilla: Step, etcd: Step) => void> = {};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-etcdctl-'));
  flotilla = await ProcessCluster.create({ size: 3, baseDir: path.join(dir, 'flotilla') });
  flotilla.startAll();
  [etcd] = await Promise.all([
    startEtcdCluster({ size: 3, baseDir: path.join(dir, 'etcd') }),
    flotilla.waitHealthy(),
  ]);
  fs.mkdirSync(path.join(dir, 'f'));
  fs.mkdirSync(path.join(dir, 'e'));
  // One after the other: the machine is small, and the two must not compete for it.
  fromFlotilla = await runSession(flotilla.endpoints.map(hostPort), path.join(dir, 'f'));
  fromEtcd = await runSession(etcd.endpoints.map(hostPort), path.join(dir, 'e'));
  if (process.env['FLOTILLA_ETCDCTL_DUMP'])
    fs.writeFileSync(
      process.env['FLOTILLA_ETCDCTL_DUMP'],
      JSON.stringify({ fromFlotilla, fromEtcd }, null, 1),
    );
}, 180_000);

afterAll(async () => {
  await flotilla?.close();
  await etcd?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('etcdctl against Flotilla and etcd 3.4', () => {
  it('runs the same steps on both', () => {
    expect(fromFlotilla.map((s) => s.name)).toEqual(fromEtcd.map((s) => s.name));
  });

  it('prints the same output and exit code for every step but the known differences', () => {
    const same = (steps: Step[]) => steps.filter((s) => !(s.name in KNOWN_DIFFERENCES));
    expect(same(fromFlotilla)).toEqual(same(fromEtcd));
  });

  it('differs only as documented where it differs', () => {
    for (const [name, check] of Object.entries(KNOWN_DIFFERENCES)) {
      check(fromFlotilla.find((s) => s.name === name)!, fromEtcd.find((s) => s.name === name)!);
    }
  });

  it('saves a snapshot with etcdctl that `flotilla snapshot verify` accepts', async () => {
    const file = path.join(dir, 'f', 'snap.db');
    expect(fs.statSync(file).size % 512).toBe(32);
    const verdict = await verifyBackup(file, { scratchDir: path.join(dir, 'f') });
    expect(verdict.ok).toBe(true);
  });
});
