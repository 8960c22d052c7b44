// Snapshot names sort by index then term when compared as strings, because
// both are fixed-width hex.
import type { SnapshotMeta } from '@flotilla/raft';

const NAME_RE = /^snap-([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export function snapshotName(meta: Pick<SnapshotMeta, 'index' | 'term'>): string {
  return `snap-${hex16(meta.index)}-${hex16(meta.term)}.snap`;
}

export function parseSnapshotName(name: string): { index: number; term: number } | undefined {
  const m = NAME_RE.exec(name);
  if (m === null) return undefined;
  return { index: parseInt(m[1]!, 16), term: parseInt(m[2]!, 16) };
}

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** Older first: by index, then by term. */
export function compareSnapshots(
  a: { index: number; term: number },
  b: { index: number; term: number },
): number {
  return a.index - b.index || a.term - b.term;
}

export const DEFAULT_SNAPSHOT_KEEP_COUNT = 2;
