// restoreBackup: seed the data directories of a NEW cluster from a backup, as
// etcd's snapshot restore does. Each member gets the KV state, a fresh
// cluster id (so its storage and TCP handshake refuse the old cluster), and a
// Raft state that starts at the backup's applied index: a snapshot point with
// the new membership as its configuration, and the snapshot file a leader
// sends to members that join later.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { KvStateMachine, type KvLimits } from '@flotilla/kv';
import type { ConfState, NodeId, SnapshotMeta } from '@flotilla/raft';
import { frameChunks } from '@flotilla/node';
import { openLevelStorage } from '@flotilla/storage';
import { BackupOptionsError, DataDirNotEmptyError } from './errors.js';
import type { BackupManifest } from './format.js';
import { emptyDir, isEmptyDir } from './fs-util.js';
import { openBackup, type OpenedBackup } from './reader.js';
import { checkAgainstManifest, restoreContent } from './restore-check.js';

export interface RestoreOptions {
  /** The new cluster's voters (its `--initial-cluster` ids). */
  readonly members: readonly NodeId[];
  /**
   * Data directories to seed, by member id: all members at once, or only some
   * (the CLI seeds one member per call, as etcd's restore does; every call must
   * then give the same members and cluster id). Each must be empty or absent unless `force`.
   */
  readonly dataDirs: Readonly<Record<number, string>> | ReadonlyMap<NodeId, string>;
  /**
   * The new cluster's id; must differ from the backup's. Default: the backup's
   * cluster id + "-restored-" + the first 8 hex digits of its content SHA-256,
   * the same in every call on the same file.
   */
  readonly clusterId?: string;
  /** Replace the contents of non-empty data directories. */
  readonly force?: boolean;
  /** The KV limits the new cluster will run with. */
  readonly kvLimits?: Partial<KvLimits>;
}

export interface RestoredCluster {
  readonly clusterId: string;
  readonly members: readonly NodeId[];
  /** The directories seeded by this call. */
  readonly dataDirs: ReadonlyMap<NodeId, string>;
  /** The Raft index and term the new members start from. */
  readonly index: number;
  readonly term: number;
  readonly manifest: BackupManifest;
  readonly durationMs: number;
}

/** The term the restored log starts in; a new cluster's first election moves past it. */
const RESTORED_TERM = 1;

export async function restoreBackup(
  file: string,
  options: RestoreOptions,
): Promise<RestoredCluster> {
  const started = performance.now();
  const members = checkMembers(options.members);
  const dataDirs = dirsFor(members, options.dataDirs);
  const backup = await openBackup(file);
  // Every byte is checked before any directory is touched: a bad file never costs a forced directory its contents.
  for await (const piece of backup.content()) void piece;
  const clusterId =
    options.clusterId ??
    `${backup.manifest.clusterId}-restored-${backup.manifest.contentSha256.slice(0, 8)}`;
  if (clusterId === backup.manifest.clusterId) {
    throw new BackupOptionsError(
      `the restored cluster needs a new cluster id, not the backup's "${clusterId}", so its members never mix with the old cluster's; pass another clusterId`,
    );
  }
  for (const dir of dataDirs.values()) {
    if (!(await isEmptyDir(dir)) && options.force !== true) throw new DataDirNotEmptyError(dir);
  }
  const confState: ConfState = {
    voters: [...members].sort((a, b) => a - b),
    votersOutgoing: [],
    learners: [],
    learnersNext: [],
  };
  const index = backup.manifest.appliedIndex;
  const term = index === 0 ? 0 : RESTORED_TERM;
  for (const dir of dataDirs.values()) {
    if (!(await isEmptyDir(dir))) await emptyDir(dir);
    await mkdir(dir, { recursive: true });
  }
  // One member at a time: seeding is CPU-bound on this thread (decoding, index building), so
  // side by side gains nothing and would hold every member's KV index in memory at once.
  try {
    for (const [id, dir] of dataDirs)
      await seedMember(
        dir,
        id,
        clusterId,
        backup,
        { index, term, confState },
        options.kvLimits ?? {},
      );
  } catch (err) {
    // No half-restored cluster: what was seeded is removed again.
    for (const dir of dataDirs.values()) await emptyDir(dir);
    throw err;
  }
  return {
    clusterId,
    members,
    dataDirs,
    index,
    term,
    manifest: backup.manifest,
    durationMs: performance.now() - started,
  };
}

async function seedMember(
  dir: string,
  id: NodeId,
  clusterId: string,
  backup: OpenedBackup,
  meta: SnapshotMeta,
  kvLimits: Partial<KvLimits>,
): Promise<void> {
  const storage = await openLevelStorage({ dir, clusterId, nodeId: id });
  try {
    const kv = await KvStateMachine.open(storage.stateLevel(), { limits: kvLimits });
    try {
      await restoreContent(kv, backup);
      await checkAgainstManifest(kv, backup);
      // The old cluster's member table (names, URLs) describes other machines: the new members
      // start with none and each publishes its own entry once it runs.
      await kv.clearMembers();
      // The snapshot a leader sends to members that join later: this state, in the node's framing.
      if (meta.index > 0) {
        const snap = await kv.snapshot();
        try {
          await storage.snapshots.create(meta, frameChunks(snap.chunks));
        } finally {
          await snap.close();
        }
      }
    } finally {
      await kv.close();
    }
    await storage.persist(
      { snapshotMeta: meta, hardState: { term: meta.term, vote: 0, commit: meta.index } },
      { sync: true },
    );
  } finally {
    await storage.close();
  }
}

function checkMembers(members: readonly NodeId[]): NodeId[] {
  if (members.length === 0)
    throw new BackupOptionsError("members is empty: give the new cluster's member ids");
  for (const id of members) {
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new BackupOptionsError(`member id ${String(id)} is not a positive integer`);
  }
  if (new Set(members).size !== members.length)
    throw new BackupOptionsError(`member ids repeat: ${members.join(', ')}`);
  return [...members];
}

function dirsFor(
  members: readonly NodeId[],
  given: RestoreOptions['dataDirs'],
): Map<NodeId, string> {
  const entries =
    given instanceof Map
      ? [...given]
      : Object.entries(given).map(([k, v]) => [Number(k), v] as const);
  if (entries.length === 0)
    throw new BackupOptionsError(
      'dataDirs is empty: give the data directory of at least one member',
    );
  const dirs = new Map<NodeId, string>();
  for (const [id, dir] of entries) {
    if (!members.includes(id))
      throw new BackupOptionsError(
        `a data directory is given for ${id}, which is not among the members ${members.join(', ')}`,
      );
    if (typeof dir !== 'string' || dir.length === 0)
      throw new BackupOptionsError(`the data directory of member ${id} is empty`);
    dirs.set(id, path.resolve(dir));
  }
  if (new Set(dirs.values()).size !== dirs.size)
    throw new BackupOptionsError('two members were given the same data directory');
  return dirs;
}
