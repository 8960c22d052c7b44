// What following a worker node's `applied` event costs a follower's host
// thread, against `membersChanged`: three members opened with openNode (each
// in its own worker thread, TCP on loopback) in this process, 64 writers on
// the leader; the followers' hosts listen to one event or the other, in
// alternating rounds on the same cluster. Counted per 1,000 puts: posts and
// messages from the followers' workers to this thread, and this thread's CPU
// (it also runs the writers, the same in both variants).
//
//   cd benchmarks && node --conditions=source --import tsx node/follower-events.ts [--seconds=5] [--rounds=3]
//
// Writes benchmarks/results/follower-events.json.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytes } from '@flotilla/kv';
import { openNode, WorkerNode, type FlotillaNode } from '@flotilla/node';
import { freePort } from '@flotilla/transport';
import { threadCpuUs } from '../suite/cpu.js';
import { runInfo } from './run-info.js';

const arg = (name: string, fallback: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : Number(a.slice(name.length + 3));
};
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);
const WRITERS = 64;
const VALUE = new Uint8Array(256).fill(7);
const IDS = [1, 2, 3];
const here = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.resolve(here, '../results/follower-events.json');

type Variant = 'applied' | 'membersChanged';
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

async function openCluster(dir: string): Promise<WorkerNode[]> {
  const ports = new Map<number, number>();
  for (const id of IDS) ports.set(id, await freePort());
  const peers = (self: number) =>
    Object.fromEntries(
      IDS.filter((id) => id !== self).map((id) => [
        id,
        { host: '127.0.0.1', port: ports.get(id)! },
      ]),
    );
  const nodes = await Promise.all(
    IDS.map((id) =>
      openNode({
        id,
        clusterId: 'follower-events',
        dataDir: path.join(dir, `n${id}`),
        listen: { host: '127.0.0.1', port: ports.get(id)! },
        peers: peers(id),
      }),
    ),
  );
  await Promise.all(nodes.map((n) => n.ready({ timeoutMs: 20_000 })));
  return nodes as WorkerNode[];
}

async function round(nodes: WorkerNode[], variant: Variant) {
  const leader = nodes.find((n) => n.status().role === 'leader');
  if (leader === undefined) throw new Error('no leader');
  const followers = nodes.filter((n) => n !== leader);
  const offs = followers.map((n) => n.on(variant, () => undefined));
  const before = followers.map((n) => ({ ...n.hop }));
  const cpu0 = threadCpuUs() ?? 0;
  let stop = false;
  let done = 0;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      await (leader as FlotillaNode).put({ key: bytes(`w/${w}/${i % 50}`), value: VALUE });
      done++;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  stop = true;
  await Promise.all(writers);
  const cpuUs = (threadCpuUs() ?? 0) - cpu0;
  for (const off of offs) off();
  const per1k = (x: number): number => round3((x * 1000) / done);
  const posts = followers.map((n, i) => n.hop.postsReceived - before[i]!.postsReceived);
  const messages = followers.map((n, i) => n.hop.messagesReceived - before[i]!.messagesReceived);
  return {
    variant,
    puts: done,
    putsPerSec: Math.round(done / SECONDS),
    followerPostsPer1kPuts: per1k(posts.reduce((a, b) => a + b, 0) / followers.length),
    followerMessagesPer1kPuts: per1k(messages.reduce((a, b) => a + b, 0) / followers.length),
    hostThreadCpuUsPerPut: round3(cpuUs / done),
  };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'flotilla-follower-events-'));
const nodes = await openCluster(dir);
try {
  const rounds: Awaited<ReturnType<typeof round>>[] = [];
  // Warm-up round (JIT, LevelDB files), not recorded.
  await round(nodes, 'membersChanged');
  for (let r = 0; r < ROUNDS; r++) {
    for (const variant of (r % 2 === 0
      ? ['applied', 'membersChanged']
      : ['membersChanged', 'applied']) as Variant[]) {
      const result = await round(nodes, variant);
      console.log(JSON.stringify(result));
      rounds.push(result);
    }
  }
  const summary = (variant: Variant) => {
    const mine = rounds.filter((r) => r.variant === variant);
    return {
      putsPerSec: median(mine.map((r) => r.putsPerSec)),
      followerPostsPer1kPuts: median(mine.map((r) => r.followerPostsPer1kPuts)),
      followerMessagesPer1kPuts: median(mine.map((r) => r.followerMessagesPer1kPuts)),
      hostThreadCpuUsPerPut: median(mine.map((r) => r.hostThreadCpuUsPerPut)),
    };
  };
  const result = {
    ...runInfo('follower-events', here),
    setup: { seconds: SECONDS, rounds: ROUNDS, writers: WRITERS, valueBytes: VALUE.byteLength },
    median: { applied: summary('applied'), membersChanged: summary('membersChanged') },
    rounds,
  };
  await mkdir(path.dirname(resultsFile), { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`median: ${JSON.stringify(result.median)}; wrote ${resultsFile}`);
} finally {
  await Promise.all(nodes.map((n) => n.close()));
  await rm(dir, { recursive: true, force: true });
}
