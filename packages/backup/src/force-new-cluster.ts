// Disaster recovery when a majority is lost for good: rewrite one surviving
// member's data directory so it boots as a one-voter cluster with all the
// state it had committed, as etcd's --force-new-cluster does. Run it with the
// member stopped; then start the member (openNode with no peers) and grow the
// cluster back with addLearner/promote.
//
// What survives: every entry the member knew to be committed (applied here
// first if it had not been yet). What is dropped: entries after its commit
// index. They may have been committed by the lost majority, but this member
// cannot tell, and keeping them could resurrect writes that were reported as
// not applied. Writes acknowledged by the old cluster that never reached this
// member are lost: pick the survivor with the highest applied index.
import { KvStateMachine, type KvLimits } from '@flotilla/kv';
import { frameChunks, snapshotFrameBytesMax, unframeChunks } from '@flotilla/node';
import type { ConfState, Entry, NodeId, SnapshotMeta } from '@flotilla/raft';
import { openLevelStorage, type LevelStorage, type LoadedState } from '@flotilla/storage';
import { ForceNewClusterError } from './errors.js';

export interface ForceNewClusterOptions {
  /** The member's id and cluster id, as it was started with (its storage checks them). */
  readonly nodeId: NodeId;
  readonly clusterId: string;
  /** The KV limits the member runs with. */
  readonly kvLimits?: Partial<KvLimits>;
}

export interface ForcedCluster {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  /** The Raft index and term the one-voter cluster starts from (the member's commit index). */
  readonly index: number;
  readonly term: number;
  readonly revision: number;
  /** Committed entries applied during recovery (the member had not applied them yet). */
  readonly appliedDuringRecovery: number;
  /** Entries after the commit index, dropped. */
  readonly discardedEntries: number;
}

/** Entries applied to kv per batch while catching up to the commit index. */
const APPLY_BATCH_ENTRIES = 1_000;

export async function forceNewCluster(
  dataDir: string,
  options: ForceNewClusterOptions,
): Promise<ForcedCluster> {
  const storage = await openLevelStorage({
    dir: dataDir,
    clusterId: options.clusterId,
    nodeId: options.nodeId,
    create: false,
  });
  try {
    const loaded = await storage.load();
    if (
      loaded.snapshotMeta === undefined &&
      loaded.entries.length === 0 &&
      loaded.hardState.term === 0
    ) {
      throw new ForceNewClusterError(
        `${dataDir} holds no Raft state: nothing to recover; start a new cluster instead`,
      );
    }
    const kv = await KvStateMachine.open(storage.stateLevel(), { limits: options.kvLimits ?? {} });
    try {
      return await rewrite(storage, loaded, kv, options);
    } finally {
      await kv.close();
    }
  } finally {
    await storage.close();
  }
}

async function rewrite(
  storage: LevelStorage,
  loaded: LoadedState,
  kv: KvStateMachine,
  options: ForceNewClusterOptions,
): Promise<ForcedCluster> {
  const snapIndex = loaded.snapshotMeta?.index ?? 0;
  if (kv.appliedIndex < snapIndex) await finishInstall(storage, kv, snapIndex);
  const commit = Math.min(Math.max(loaded.hardState.commit, snapIndex), loaded.lastIndex);
  const before = kv.appliedIndex;
  await applyCommitted(
    kv,
    loaded.entries.filter((e) => e.index > before && e.index <= commit),
  );
  if (kv.appliedIndex !== commit) {
    throw new ForceNewClusterError(
      `the KV state is at index ${kv.appliedIndex}, past the commit index ${commit}: the data directory is inconsistent; restore from a backup instead`,
    );
  }
  const confState: ConfState = {
    voters: [options.nodeId],
    votersOutgoing: [],
    learners: [],
    learnersNext: [],
  };
  const meta: SnapshotMeta = { index: commit, term: termAt(loaded, commit), confState };
  // Recorded first: once it is, the member can only boot as the new cluster (a rerun redoes the rest).
  await storage.persist(
    { snapshotMeta: meta, hardState: { ...loaded.hardState, commit } },
    { sync: true },
  );
  // The lost members' records (names, URLs) would still be listed by `member list`: only this one is left.
  await kv.keepOnlyMember(options.nodeId);
  const snap = await kv.snapshot();
  try {
    // The snapshot a leader sends to joining members: it must carry the new configuration.
    await storage.snapshots.create(meta, frameChunks(snap.chunks));
  } finally {
    await snap.close();
  }
  for (const s of await storage.snapshots.list()) {
    if (s.meta.index > meta.index || (s.meta.index === meta.index && s.meta.term > meta.term))
      await storage.snapshots.delete(s.name);
  }
  return {
    nodeId: options.nodeId,
    clusterId: options.clusterId,
    index: commit,
    term: meta.term,
    revision: kv.revision,
    appliedDuringRecovery: commit - before,
    discardedEntries: loaded.lastIndex - commit,
  };
}

/** A snapshot install was cut short by a crash: finish it from the stored snapshot, as a booting node would. */
async function finishInstall(
  storage: LevelStorage,
  kv: KvStateMachine,
  snapIndex: number,
): Promise<void> {
  const latest = await storage.snapshots.openLatest();
  if (latest === undefined || latest.meta.index < snapIndex) {
    throw new ForceNewClusterError(
      `the KV state is behind the log's compaction point ${snapIndex} and no snapshot covers it; restore from a backup instead`,
    );
  }
  await kv.restore(unframeChunks(latest.stream(), snapshotFrameBytesMax(kv)));
}

async function applyCommitted(kv: KvStateMachine, entries: readonly Entry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += APPLY_BATCH_ENTRIES) {
    // Conf changes move only the applied index in kv, as in the node's driver.
    const batch = entries
      .slice(i, i + APPLY_BATCH_ENTRIES)
      .map((e) => ({ index: e.index, data: e.type === 'normal' ? e.data : new Uint8Array(0) }));
    await kv.applyEntries(batch);
  }
}

function termAt(loaded: LoadedState, index: number): number {
  const snap = loaded.snapshotMeta;
  if (index === (snap?.index ?? 0)) return snap?.term ?? 0;
  const entry = loaded.entries.find((e) => e.index === index);
  if (entry === undefined)
    throw new ForceNewClusterError(
      `no log entry at the commit index ${index}: the data directory is inconsistent; restore from a backup instead`,
    );
  return entry.term;
}
