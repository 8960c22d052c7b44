// The exactly-once table (Raft thesis §6.3): per client, the last applied
// sequence number and its result. A retry of that sequence gets the stored
// result instead of being applied again. Bounded: at most clientsMax clients,
// and a client idle for clientIdleEntriesMax entries is forgotten. The Map is
// kept in order of last use (re-inserted on every update), so eviction is
// deterministic and O(1) on every replica.
//
// A forgotten client's retry must not be applied again (the thesis answers
// "session expired"). Clients register each id before its first write
// (thesis §6.3): seq 1 is a `register` command, which changes nothing but
// this table, and writes follow from seq 2. So an unknown id's register is
// applied (applying it twice is harmless), and once any client was evicted
// (the floor, replicated with the state) any other command from an unknown
// id may be an evicted client's retry: it gets SessionExpiredError and is not
// applied. While the floor is 0 nothing was ever forgotten, so an unknown id
// is new whatever it sends. Remaining: a register applied late (after the
// id's writes and its eviction) re-admits the id at seq 1, so clients give up
// an id whose register had an unknown outcome (see README).

import { plain } from './bytes.js';
import {
  errorFromData,
  invariant,
  KvError,
  SessionExpiredError,
  StaleSequenceError,
  type KvErrorData,
} from './errors.js';
import { CLIENT_FLOOR_KEY, clientKey, packr } from './layout.js';
import type { KvLimits } from './limits.js';
import type { Batch, ReadView } from './store.js';
import type { CommandResponse } from './types.js';

export type Outcome = { ok: true; response: CommandResponse } | { ok: false; error: KvError };

interface ClientEntry {
  seq: number;
  lastIndex: number;
}

export type ClientCheck =
  | { kind: 'new' }
  | { kind: 'duplicate'; outcome: Outcome }
  | { kind: 'stale'; error: KvError }
  | { kind: 'expired'; error: KvError };

/** Copies decoded msgpack, turning Buffers into plain Uint8Arrays. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return plain(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalize(x);
    return out;
  }
  return v;
}

export function encodeClient(seq: number, lastIndex: number, outcome: Outcome): Uint8Array {
  const stored = outcome.ok
    ? { ok: true, response: outcome.response }
    : { ok: false, error: outcome.error.toData() };
  return packr.pack([seq, lastIndex, stored]);
}

export function decodeClient(data: Uint8Array): {
  seq: number;
  lastIndex: number;
  outcome: Outcome;
} {
  const [seq, lastIndex, stored] = packr.unpack(data) as [
    number,
    number,
    { ok: boolean; response?: unknown; error?: KvErrorData },
  ];
  const outcome: Outcome = stored.ok
    ? { ok: true, response: normalize(stored.response) as CommandResponse }
    : { ok: false, error: errorFromData(stored.error!) };
  return { seq, lastIndex, outcome };
}

export function encodeFloor(floor: number): Uint8Array {
  return packr.pack([floor]);
}

export function decodeFloor(data: Uint8Array): number {
  const [floor] = packr.unpack(data) as [number];
  invariant(
    Number.isSafeInteger(floor) && floor >= 0,
    `exactly-once eviction floor is corrupt: ${String(floor)}`,
  );
  return floor;
}

export class ClientTable {
  private readonly clients = new Map<string, ClientEntry>();
  /** The highest last index of any evicted client; 0 while none was evicted. */
  private floor = 0;

  constructor(private readonly limits: KvLimits) {}

  get size(): number {
    return this.clients.size;
  }

  get evictionFloor(): number {
    return this.floor;
  }

  /** Restores entries (any order; they are ordered by last use) and the eviction floor. */
  load(entries: { clientId: string; seq: number; lastIndex: number }[], floor: number): void {
    this.clients.clear();
    this.floor = floor;
    entries.sort((a, b) => a.lastIndex - b.lastIndex);
    for (const e of entries) this.clients.set(e.clientId, { seq: e.seq, lastIndex: e.lastIndex });
  }

  /** `registering`: the command is a `register` (always at seq 1, see command.ts). */
  /** Synchronous unless the entry is a duplicate (its stored answer is read back from storage). */
  check(
    clientId: string,
    seq: number,
    registering: boolean,
    view: ReadView,
  ): ClientCheck | Promise<ClientCheck> {
    const entry = this.clients.get(clientId);
    if (!entry) {
      if (registering || this.floor === 0) return { kind: 'new' };
      // Anything but a register from an unknown client may be a retry of an evicted one.
      return {
        kind: 'expired',
        error:
          seq === 1
            ? SessionExpiredError.unregistered(clientId)
            : SessionExpiredError.of(clientId, seq),
      };
    }
    if (seq > entry.seq) return { kind: 'new' };
    if (seq < entry.seq) return { kind: 'stale', error: StaleSequenceError.of(seq, entry.seq) };
    return view.readRaw([clientKey(clientId)]).then(([data]): ClientCheck => {
      invariant(data, `exactly-once record of client ${clientId} is missing from storage`);
      return { kind: 'duplicate', outcome: decodeClient(data).outcome };
    });
  }

  record(clientId: string, seq: number, index: number, outcome: Outcome, batch: Batch): void {
    this.clients.delete(clientId);
    this.clients.set(clientId, { seq, lastIndex: index });
    batch.put(clientKey(clientId), encodeClient(seq, index, outcome));
  }

  /** Forgets idle clients and the least recently used beyond clientsMax. */
  evict(index: number, batch: Batch): void {
    if (this.clients.size === 0) return; // no iterator to allocate, per entry, without clients
    const before = this.floor;
    for (const [clientId, entry] of this.clients) {
      const idle = index - entry.lastIndex > this.limits.clientIdleEntriesMax;
      if (!idle && this.clients.size <= this.limits.clientsMax) break;
      this.clients.delete(clientId);
      batch.del(clientKey(clientId));
      this.floor = Math.max(this.floor, entry.lastIndex);
    }
    if (this.floor !== before) batch.put(CLIENT_FLOOR_KEY, encodeFloor(this.floor));
  }
}
