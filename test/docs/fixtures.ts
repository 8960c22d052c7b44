// What a README block may need running beside it, started as a separate
// process that resolves @flotilla/* from the same place as the block:
//   members=ID@PORT,... as=ID [cluster-id=C]  the other members of the cluster the block's
//                                             openNode joins (every member but `as`)
//   cluster=PORT                              a 3-member Flotilla cluster served over HTTP;
//                                             its first endpoint stands for PORT in the block
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

const MEMBERS_SOURCE = `
import path from 'node:path';
import { openNode } from '@flotilla/node';
const spec = JSON.parse(process.argv[2]);
const nodes = [];
for (const m of spec.members.filter((m) => spec.run.includes(m.id))) {
  const peers = Object.fromEntries(spec.members.filter((p) => p.id !== m.id).map((p) => [p.id, { host: '127.0.0.1', port: p.port }]));
  nodes.push(await openNode({ id: m.id, clusterId: spec.clusterId, dataDir: path.join(spec.dir, 'member-' + m.id), listen: { host: '127.0.0.1', port: m.port }, peers }));
}
process.on('SIGTERM', async () => { for (const n of nodes) await n.close().catch(() => {}); process.exit(0); });
console.log(JSON.stringify({ ready: true }));
`;

const CLUSTER_SOURCE = `
import { startLocalCluster } from '@flotilla/server';
const spec = JSON.parse(process.argv[2]);
const cluster = await startLocalCluster({ size: 3, baseDir: spec.dir, clusterId: 'readme' });
await cluster.leader(30000);
process.on('SIGTERM', async () => { await cluster.close().catch(() => {}); process.exit(0); });
console.log(JSON.stringify({ ready: true, endpoints: cluster.endpoints }));
`;

export interface Fixture {
  /** What the fixture printed when ready (e.g. the cluster's endpoints). */
  readonly info: { readonly endpoints?: readonly string[] };
  stop(): Promise<void>;
}

export interface FixtureHost {
  readonly resolveDir: string;
  readonly nodeArgs: readonly string[];
}

export async function startFixture(
  kind: 'members' | 'cluster',
  spec: object,
  host: FixtureHost,
): Promise<Fixture> {
  fs.mkdirSync(host.resolveDir, { recursive: true }); // absent in a fresh clone (gitignored)
  const file = path.join(host.resolveDir, `.fixture-${kind}-${process.pid}-${Date.now()}.mjs`);
  fs.writeFileSync(file, kind === 'members' ? MEMBERS_SOURCE : CLUSTER_SOURCE);
  const child = spawn(process.execPath, [...host.nodeArgs, file, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<void> => {
    await stopChild(child);
    fs.rmSync(file, { force: true });
  };
  try {
    const info = await readyLine(child, () => stderr);
    return { info, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function readyLine(child: ChildProcess, stderr: () => string): Promise<Fixture['info']> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`fixture not ready within ${READY_TIMEOUT_MS} ms: ${stderr()}`)),
      READY_TIMEOUT_MS,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line) as Fixture['info']);
        return;
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture exited with ${code} before it was ready: ${stderr()}`));
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
