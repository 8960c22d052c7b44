// Backup and restore times for 100,000 and 1,000,000 keys (issue 10).
//
//   cd benchmarks && node --conditions=source --import tsx backup/backup.ts [--keys=100000,1000000]
//
// For each size: a member's data directory is filled (N puts of 16-byte keys
// and 100-byte values, applied straight to the KV state with the Raft state
// seeded at that index, as a restore does), a one-node cluster is booted on
// it, and then, with one writer putting keys all along:
//   save     saveBackup(node): a consistent backup of the running node
//   verify   verifyBackup: restore into a scratch LevelDB, reopen, recompute the manifest
//   restore  restoreBackup into the data directories of a new 3-member cluster
//   boot     the 3 restored members start, elect, and acknowledge a first write
//   force    forceNewCluster on the source member, then boot and a first write
// restore + boot is the time to a serving cluster from a backup file (the
// restore path's RTO, without copying the file); force + boot the same for
// disaster recovery. Writes benchmarks/results/backup.json.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytes, encodeCommand, KvStateMachine } from '@flotilla/kv';
import { openNode, type FlotillaNode } from '@flotilla/node';
import { openLevelStorage } from '@flotilla/storage';
import {
  forceNewCluster,
  restoreBackup,
  saveBackup,
  verifyBackup,
} from '../../packages/backup/src/index.js';

const keysArg = process.argv.find((a) => a.startsWith('--keys='));
const SIZES =
  keysArg === undefined
    ? [100_000, 1_000_000]
    : keysArg.slice('--keys='.length).split(',').map(Number);
const VALUE_BYTES = 100;
const APPLY_BATCH_ENTRIES = 2_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.resolve(here, '../results/backup.json');
const FAST = { tickMs: 10, electionTicks: 10, heartbeatTicks: 2 };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(pred: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const key = (i: number): Uint8Array => bytes(`key/${String(i).padStart(12, '0')}`);

/** A one-member data directory holding n keys at applied index n. */
async function fill(dir: string, n: number): Promise<void> {
  const storage = await openLevelStorage({ dir, clusterId: 'bench', nodeId: 1 });
  const kv = await KvStateMachine.open(storage.stateLevel());
  const value = new Uint8Array(VALUE_BYTES).fill(0x61);
  for (let i = 0; i < n; i += APPLY_BATCH_ENTRIES) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + APPLY_BATCH_ENTRIES); j++) {
      batch.push({
        index: j + 1,
        data: encodeCommand({ cmd: { op: 'put', request: { key: key(j), value } } }),
      });
    }
    await kv.applyEntries(batch);
  }
  await kv.close();
  const confState = { voters: [1], votersOutgoing: [], learners: [], learnersNext: [] };
  await storage.persist({
    snapshotMeta: { index: n, term: 1, confState },
    hardState: { term: 1, vote: 0, commit: n },
  });
  await storage.close();
}

async function measure(n: number, root: string): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const srcDir = path.join(root, 'src');
  await fill(srcDir, n);
  const fillMs = performance.now() - t0;

  const bootStart = performance.now();
  const node = await openNode({
    id: 1,
    clusterId: 'bench',
    dataDir: srcDir,
    listen: { host: '127.0.0.1', port: 0 },
    peers: {},
    ...FAST,
  });
  await until(() => node.status().role === 'leader', 'source leads');
  const sourceBootMs = performance.now() - bootStart;

  // One writer all along: the backup must not stop writes.
  let writing = true;
  let writes = 0;
  let worstWriteMs = 0;
  let during = false;
  let writesDuringSave = 0;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      const s = performance.now();
      await node.put({ key: bytes(`load/${i}`), value: bytes('x') });
      writes++;
      if (during) {
        writesDuringSave++;
        worstWriteMs = Math.max(worstWriteMs, performance.now() - s);
      }
    }
  })();
  await until(() => writes >= 50, 'writer running');
  const file = path.join(root, 'bench.fbk');
  during = true;
  const saved = await saveBackup(node, file);
  during = false;
  writing = false;
  await writer;
  await node.close();

  // Disaster recovery on the same member: rewrite it as a one-voter cluster, boot, first write.
  const forceStart = performance.now();
  const forced = await forceNewCluster(srcDir, { nodeId: 1, clusterId: 'bench' });
  const forceMs = performance.now() - forceStart;
  const forcedBootStart = performance.now();
  const survivor = await openNode({
    id: 1,
    clusterId: 'bench',
    dataDir: srcDir,
    listen: { host: '127.0.0.1', port: 0 },
    peers: {},
    ...FAST,
  });
  await until(() => survivor.status().role === 'leader', 'recovered member leads');
  await survivor.put({ key: bytes('first-after-recovery'), value: bytes('1') });
  const forcedBootMs = performance.now() - forcedBootStart;
  await survivor.close();

  const verdict = await verifyBackup(file, { scratchDir: root });
  if (!verdict.ok) throw new Error(verdict.line);

  const ids = [1, 2, 3];
  const dirs = Object.fromEntries(ids.map((id) => [id, path.join(root, `restored-${id}`)]));
  const restored = await restoreBackup(file, {
    members: ids,
    dataDirs: dirs,
    clusterId: 'bench-restored',
  });

  const addresses = new Map(
    await Promise.all(
      ids.map(async (id) => [id, { host: '127.0.0.1', port: await freePort() }] as const),
    ),
  );
  const bootStart3 = performance.now();
  const nodes: FlotillaNode[] = await Promise.all(
    ids.map((id) =>
      openNode({
        id,
        clusterId: 'bench-restored',
        dataDir: dirs[id]!,
        listen: addresses.get(id)!,
        peers: new Map([...addresses].filter(([p]) => p !== id)),
        ...FAST,
      }),
    ),
  );
  await until(() => nodes.some((x) => x.status().role === 'leader'), 'restored cluster leads');
  const leader = nodes.find((x) => x.status().role === 'leader')!;
  await leader.put({ key: bytes('first-after-restore'), value: bytes('1') });
  const bootMs = performance.now() - bootStart3;
  const count = (
    await leader.range({ key: bytes('key/'), rangeEnd: bytes('key0'), countOnly: true })
  ).count;
  if (count !== n) throw new Error(`restored cluster has ${count} keys, expected ${n}`);
  await Promise.all(nodes.map((x) => x.close()));

  const m = saved.manifest;
  return {
    keys: n,
    fillSeconds: round(fillMs / 1000),
    sourceBootSeconds: round(sourceBootMs / 1000),
    backupBytes: saved.bytes,
    backupMiB: round(saved.bytes / 2 ** 20),
    manifest: {
      revision: m.revision,
      appliedIndex: m.appliedIndex,
      keyCount: m.keyCount,
      recordCount: m.recordCount,
    },
    saveSeconds: round(saved.durationMs / 1000),
    saveMiBPerSecond: round(saved.bytes / 2 ** 20 / (saved.durationMs / 1000)),
    writesDuringSave,
    worstWriteMsDuringSave: round(worstWriteMs),
    verifySeconds: round(verdict.durationMs / 1000),
    restore3MembersSeconds: round(restored.durationMs / 1000),
    bootRestoredClusterSeconds: round(bootMs / 1000),
    restoreToServingSeconds: round((restored.durationMs + bootMs) / 1000),
    forceNewClusterSeconds: round(forceMs / 1000),
    bootAfterForceSeconds: round(forcedBootMs / 1000),
    forceToServingSeconds: round((forceMs + forcedBootMs) / 1000),
    forcedAtIndex: forced.index,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function main(): Promise<void> {
  const runs = [];
  for (const n of SIZES) {
    const root = await mkdtemp(path.join(os.tmpdir(), 'flotilla-bench-backup-'));
    try {
      const r = await measure(n, root);
      console.log(JSON.stringify(r));
      runs.push(r);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  const result = {
    benchmark: 'backup/backup',
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    setup: {
      keyBytes: 16,
      valueBytes: VALUE_BYTES,
      storage: 'leveldb (classic-level)',
      writerDuringSave: 'one put at a time on the source node',
      restoredCluster: '3 members, tcp loopback, one process',
      verifyScratch: 'leveldb in a temporary directory',
    },
    runs,
  };
  await mkdir(path.dirname(resultsFile), { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${resultsFile}`);
}

await main();
