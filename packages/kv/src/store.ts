// The in-memory state and the storage it is written through. Changes of an
// apply batch are collected in one Batch (written atomically with the applied
// index); reads consult the batch's pending writes first, so a reader never
// misses a record that the index already points to.

import type { AbstractLevel } from 'abstract-level';
import { Batch } from './batch.js';
import { toKeyStr, type KeyStr } from './bytes.js';
import { invariant } from './errors.js';
import { KeyIndex, type RevPos } from './key-index.js';
import { decodeChange, revKey, type ChangeRecord } from './layout.js';
import type { KvLimits } from './limits.js';
import { AuthStore } from './auth/store.js';
import { MemberStore } from './members.js';

export { Batch };

/** One generation of state: a sublevel with Uint8Array keys and values. */
export type GenLevel = AbstractLevel<any, Uint8Array, Uint8Array>;

export interface LeaseEntry {
  id: number;
  ttl: number;
  /** Last checkpointed remaining TTL in seconds, -1 if never checkpointed. */
  checkpointTtl: number;
  keys: Set<KeyStr>;
}

export class KvState {
  readonly index = new KeyIndex();
  revision = 1;
  compactRevision = 0;
  appliedIndex = 0;
  readonly leases = new Map<number, LeaseEntry>();
  /** Users, roles and whether auth is on (section 06). */
  readonly auth = new AuthStore();
  /** Member metadata (section 07). */
  readonly members = new MemberStore();
  /** Grants and revocations applied since this state was loaded: lets a leader skip lease bookkeeping when nothing changed. */
  leaseChanges = 0;
  /** The batch being built or written; undefined between batches. */
  batch: Batch | undefined;

  constructor(
    readonly gen: GenLevel,
    readonly limits: KvLimits,
  ) {}

  /**
   * A consistent read of records: the batch in flight (its pending puts) plus
   * a LevelDB snapshot taken now, so a compaction written later cannot pull
   * records out from under a multi-page read. Close it when done.
   */
  openRead(): ReadView {
    const supports = this.gen.supports.explicitSnapshots;
    return new ReadView(this, this.batch, supports ? this.gen.snapshot() : undefined);
  }
}

export class ReadView {
  constructor(
    private readonly state: KvState,
    private readonly batch: Batch | undefined,
    private readonly snapshot: any,
  ) {}

  async readRaw(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const out: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(keys.length);
    const missing: number[] = [];
    const pending = this.batch?.pending;
    keys.forEach((k, i) => {
      const p = pending?.get(toKeyStr(k));
      if (p) out[i] = p;
      else missing.push(i);
    });
    const pageKeys = this.state.limits.readPageKeys;
    const options = this.snapshot ? { snapshot: this.snapshot } : {};
    for (let at = 0; at < missing.length; at += pageKeys) {
      const page = missing.slice(at, at + pageKeys);
      const values = await this.state.gen.getMany(
        page.map((i) => keys[i]!),
        options,
      );
      page.forEach((i, j) => (out[i] = values[j]));
    }
    return out;
  }

  /** Records at `positions`; undefined where storage no longer has one (compacted meanwhile). */
  async loadChanges(positions: RevPos[]): Promise<(ChangeRecord | undefined)[]> {
    const raw = await this.readRaw(positions.map((p) => revKey(p.main, p.sub)));
    return raw.map((data, i) => (data ? decodeChange(positions[i]!, data) : undefined));
  }

  async close(): Promise<void> {
    if (this.snapshot) await this.snapshot.close();
  }
}

/** Loads records the index says exist; a missing one is corrupt storage. */
export async function loadExisting(view: ReadView, positions: RevPos[]): Promise<ChangeRecord[]> {
  const records = await view.loadChanges(positions);
  return records.map((r, i) => {
    invariant(
      r,
      `kv record for revision ${positions[i]!.main}.${positions[i]!.sub} is missing from storage although the index refers to it`,
    );
    return r;
  });
}
