// Snapshots held in memory for the simulator. `create` is durable at once
// (the file store resolves only after fsync, so there is no window to model).
import type { SnapshotMeta } from '@flotilla/raft';
import { invariant } from '../invariant.js';
import type { OpenedSnapshot, SnapshotInfo, SnapshotSource, SnapshotStore } from '../types.js';
import { compareSnapshots, DEFAULT_SNAPSHOT_KEEP_COUNT, snapshotName } from './naming.js';

interface Held {
  readonly info: SnapshotInfo;
  readonly data: Uint8Array;
}

export class MemorySnapshotStore implements SnapshotStore {
  private held: Held[] = [];

  constructor(private readonly keepCount: number = DEFAULT_SNAPSHOT_KEEP_COUNT) {
    invariant(
      Number.isSafeInteger(keepCount) && keepCount >= 1,
      `snapshot keepCount must be ≥ 1, got ${keepCount}`,
    );
  }

  async create(meta: SnapshotMeta, data: SnapshotSource): Promise<SnapshotInfo> {
    const bytes = await collect(data);
    const info: SnapshotInfo = { meta, sizeBytes: bytes.byteLength, name: snapshotName(meta) };
    this.held = this.held.filter((h) => h.info.name !== info.name);
    this.held.push({ info, data: bytes });
    this.held.sort((a, b) => compareSnapshots(a.info.meta, b.info.meta));
    await this.prune(this.keepCount);
    return info;
  }

  async openLatest(): Promise<OpenedSnapshot | undefined> {
    const latest = this.held[this.held.length - 1];
    return latest === undefined ? undefined : opened(latest);
  }

  async open(index: number, term: number): Promise<OpenedSnapshot | undefined> {
    const name = snapshotName({ index, term });
    const held = this.held.find((h) => h.info.name === name);
    return held === undefined ? undefined : opened(held);
  }

  async list(): Promise<SnapshotInfo[]> {
    return this.held.map((h) => h.info);
  }

  async delete(name: string): Promise<void> {
    this.held = this.held.filter((h) => h.info.name !== name);
  }

  async prune(keepCount: number): Promise<void> {
    invariant(keepCount >= 0, `prune keepCount must be ≥ 0, got ${keepCount}`);
    this.held = this.held.slice(Math.max(0, this.held.length - keepCount));
  }

  /** A copy that shares nothing mutable: what a restarted process would find. */
  copy(): MemorySnapshotStore {
    const copy = new MemorySnapshotStore(this.keepCount);
    copy.held = this.held.slice();
    return copy;
  }
}

function opened(held: Held): OpenedSnapshot {
  const data = held.data;
  return {
    ...held.info,
    read: async () => data.slice(),
    stream: async function* () {
      yield data.slice();
    },
  };
}

export async function collect(source: SnapshotSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source.slice();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
