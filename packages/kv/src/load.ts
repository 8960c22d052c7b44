// Rebuilding the in-memory state from one generation in LevelDB, on open and
// after a restore. Cost is one scan of the stored history (no log replay).

import { toKeyStr } from './bytes.js';
import { decodeClient, decodeFloor } from './clients.js';
import { invariant } from './errors.js';
import { KeyHistory } from './key-index.js';
import {
  CLIENT_FLOOR_KEY,
  decodeChange,
  decodeMeta,
  META_KEY,
  packr,
  parseRevKey,
  SECTION_CLIENT,
  SECTION_LEASE,
  SECTION_REV,
} from './layout.js';
import type { KvLimits } from './limits.js';
import { KvState, type GenLevel } from './store.js';
import { readUint53 } from './bytes.js';
import { SECTION_AUTH } from './auth/store.js';
import { SECTION_MEMBERS } from './members.js';

async function scan(
  gen: GenLevel,
  section: number,
  pageKeys: number,
  each: (k: Uint8Array, v: Uint8Array) => void,
): Promise<void> {
  const it = gen.iterator({ gte: new Uint8Array([section]), lt: new Uint8Array([section + 1]) });
  try {
    for (;;) {
      const entries = await it.nextv(pageKeys);
      if (entries.length === 0) return;
      for (const [k, v] of entries) each(k, v);
    }
  } finally {
    await it.close();
  }
}

export interface LoadedState {
  state: KvState;
  clients: { clientId: string; seq: number; lastIndex: number }[];
  /** The exactly-once eviction floor (0: no client was ever evicted). */
  clientFloor: number;
}

export async function loadState(gen: GenLevel, limits: KvLimits): Promise<LoadedState> {
  const state = new KvState(gen, limits);
  const meta = await gen.get(META_KEY);
  if (meta) Object.assign(state, decodeMeta(meta));
  const histories = new Map<string, KeyHistory>();
  await scan(gen, SECTION_REV, limits.readPageKeys, (k, v) => {
    const pos = parseRevKey(k);
    const rec = decodeChange(pos, v);
    const key = toKeyStr(rec.key);
    let h = histories.get(key);
    if (!h) histories.set(key, (h = new KeyHistory(key)));
    h.push(pos.main, pos.sub, rec.kv === undefined);
    if (rec.kv) {
      h.createRevision = rec.kv.createRevision;
      h.version = rec.kv.version;
      h.lease = rec.kv.lease;
    }
  });
  state.index.load(histories.values());
  await scan(gen, SECTION_LEASE, limits.readPageKeys, (k, v) => {
    const id = readUint53(k, 1);
    const [ttl, checkpointTtl] = packr.unpack(v) as [number, number];
    state.leases.set(id, { id, ttl, checkpointTtl, keys: new Set() });
  });
  for (const h of histories.values()) {
    if (!h.live || h.lease === 0) continue;
    const lease = state.leases.get(h.lease);
    invariant(lease, `key is attached to lease ${h.lease}, which is not stored: corrupt kv state`);
    lease.keys.add(h.key);
  }
  const clients: LoadedState['clients'] = [];
  await scan(gen, SECTION_CLIENT, limits.readPageKeys, (k, v) => {
    const { seq, lastIndex } = decodeClient(v);
    clients.push({ clientId: Buffer.from(k.subarray(1)).toString('utf8'), seq, lastIndex });
  });
  await scan(gen, SECTION_AUTH, limits.readPageKeys, (k, v) => state.auth.load(k, v));
  await scan(gen, SECTION_MEMBERS, limits.readPageKeys, (k, v) => state.members.load(k, v));
  const floor = await gen.get(CLIENT_FLOOR_KEY);
  return { state, clients, clientFloor: floor ? decodeFloor(floor) : 0 };
}
