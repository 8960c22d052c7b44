// Which stored snapshots a restarting node may use. The snapshot store can
// hold snapshots the Raft core never installed: a verified transfer is stored
// before the core sees it, and the core may refuse it (stale, or from a
// deposed leader) or the node may crash first. Only a snapshot whose
// (index, term) is part of this node's log describes this node's state.
import type { SnapshotMeta } from '@flotilla/raft';
import type { LoadedState, OpenedSnapshot, SnapshotStore } from '@flotilla/storage';

/** Whether (index, term) is the compaction point or an entry of the stored log. */
export function inLog(loaded: LoadedState, meta: Pick<SnapshotMeta, 'index' | 'term'>): boolean {
  const snap = loaded.snapshotMeta;
  const snapIndex = snap?.index ?? 0;
  if (meta.index === snapIndex) return meta.term === (snap?.term ?? 0);
  if (meta.index < snapIndex || meta.index > loaded.lastIndex) return false;
  const first = loaded.entries[0];
  return first !== undefined && loaded.entries[meta.index - first.index]?.term === meta.term;
}

/**
 * The snapshot to bring the KV state up to the log's compaction point: the
 * one at the compaction point itself (a crash during its install), else the
 * newest one of this log after it (the node's own, if KV writes were lost).
 */
export async function openForRestart(
  snapshots: SnapshotStore,
  loaded: LoadedState,
): Promise<OpenedSnapshot | undefined> {
  const snap = loaded.snapshotMeta;
  const exact = snap === undefined ? undefined : await snapshots.open(snap.index, snap.term);
  if (exact !== undefined) return exact;
  const candidates = (await snapshots.list()).filter(
    (i) => i.meta.index >= (snap?.index ?? 0) && inLog(loaded, i.meta),
  );
  const newest = candidates.at(-1);
  return newest === undefined ? undefined : snapshots.open(newest.meta.index, newest.meta.term);
}

/** Deletes stored snapshots newer than the compaction point that are not of this log: they can never be installed. */
export async function dropForeignSnapshots(
  snapshots: SnapshotStore,
  loaded: LoadedState,
): Promise<number> {
  const snapIndex = loaded.snapshotMeta?.index ?? 0;
  let dropped = 0;
  for (const info of await snapshots.list()) {
    if (info.meta.index < snapIndex || inLog(loaded, info.meta)) continue;
    await snapshots.delete(info.name);
    dropped++;
  }
  return dropped;
}
