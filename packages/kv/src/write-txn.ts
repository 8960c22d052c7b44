// One write (a put, a delete, a txn, a lease revoke): changes are staged and
// reach the index only in commit(), synchronously, so an error part-way
// leaves nothing behind and readers never see half a revision.

import { fromKeyStr, type KeyStr } from './bytes.js';
import { InvalidRequestError, invariant } from './errors.js';
import type { KeyHistory, KeySpan, RevPos } from './key-index.js';
import { encodePut, encodeTombstone, inSpan, revKey } from './layout.js';
import { loadExisting, type Batch, type KvState, type ReadView } from './store.js';
import type { KeyValue } from './types.js';

/** A key as some view currently sees it: meta always, the value in memory or at `pos`. */
export interface Cur {
  key: KeyStr;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
  kv?: KeyValue;
  pos?: RevPos;
}

/** A change as the watch hub needs it. `kv` undefined = deletion. */
export interface RawEvent {
  main: number;
  sub: number;
  keyStr: KeyStr;
  key: Uint8Array;
  kv: KeyValue | undefined;
  prevKv?: KeyValue;
}

interface Staged {
  key: KeyStr;
  sub: number;
  kv: KeyValue | undefined;
  prevLease: number;
  prevKv?: KeyValue;
}

export function liveCur(h: KeyHistory): Cur | undefined {
  if (!h.live) return undefined;
  return {
    key: h.key,
    createRevision: h.createRevision,
    modRevision: h.modRevision,
    version: h.version,
    lease: h.lease,
    pos: h.last!,
  };
}

export async function loadKvs(view: ReadView, curs: Cur[]): Promise<KeyValue[]> {
  const toLoad = curs.filter((c) => !c.kv);
  const records = await loadExisting(
    view,
    toLoad.map((c) => c.pos!),
  );
  let next = 0;
  return curs.map((c) => c.kv ?? records[next++]!.kv!);
}

export class WriteTxn {
  readonly rev: number;
  private readonly staged = new Map<KeyStr, Staged>();

  constructor(
    readonly state: KvState,
    readonly view: ReadView,
    /** Load previous values for events (some watcher asked for prevKv). */
    readonly eventPrevKv: boolean,
  ) {
    this.rev = state.revision + 1;
  }

  get changed(): boolean {
    return this.staged.size > 0;
  }

  /** The key as this txn sees it (its own staged writes included). */
  current(key: KeyStr): Cur | undefined {
    const s = this.staged.get(key);
    if (s) return s.kv ? { ...s.kv, key, kv: s.kv } : undefined;
    const h = this.state.index.get(key);
    return h ? liveCur(h) : undefined;
  }

  /** Live keys in `span` as this txn sees them, ascending. */
  liveInSpan(span: KeySpan): Cur[] {
    const out: Cur[] = [];
    for (const h of this.state.index.span(span)) {
      const cur = this.staged.has(h.key) ? this.current(h.key) : liveCur(h);
      if (cur) out.push(cur);
    }
    // Stryker disable next-line BooleanLiteral: equivalent, sorting the index's already ascending list changes nothing
    let added = false;
    for (const s of this.staged.values()) {
      if (s.kv && !this.state.index.get(s.key) && inSpan(s.key, span)) {
        out.push({ ...s.kv, key: s.key, kv: s.kv });
        added = true;
      }
    }
    if (added) out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async kvOf(cur: Cur): Promise<KeyValue> {
    return (await loadKvs(this.view, [cur]))[0]!;
  }

  private stage(
    key: KeyStr,
    kv: KeyValue | undefined,
    prev: Cur | undefined,
    prevKv: KeyValue | undefined,
  ): void {
    if (this.staged.has(key)) {
      throw new InvalidRequestError(
        'duplicate key given in txn request: a txn may change each key at most once',
      );
    }
    this.staged.set(key, {
      key,
      sub: this.staged.size,
      kv,
      prevLease: prev?.lease ?? 0,
      ...(prevKv ? { prevKv } : {}),
    });
  }

  stagePut(kv: KeyValue, key: KeyStr, prev: Cur | undefined, prevKv: KeyValue | undefined): void {
    this.stage(key, kv, prev, prevKv);
  }

  stageDelete(prev: Cur, prevKv: KeyValue | undefined): void {
    this.stage(prev.key, undefined, prev, prevKv);
  }

  /** Moves the staged changes into the index and the batch; one new revision. Appends its events to `events`. */
  commit(batch: Batch, events: RawEvent[] = []): RawEvent[] {
    invariant(this.state.revision === this.rev - 1, 'revision moved while a write was staged');
    const { index, leases } = this.state;
    for (const s of this.staged.values()) {
      const h = index.getOrCreate(s.key);
      // Stryker disable next-line ConditionalExpression,OptionalChaining: equivalent, no lease has id 0, and a live key's lease exists (revoke deletes the keys before the lease)
      if (s.prevLease !== 0) leases.get(s.prevLease)?.keys.delete(s.key);
      h.push(this.rev, s.sub, s.kv === undefined);
      const key = s.kv?.key ?? fromKeyStr(s.key);
      if (s.kv) {
        h.createRevision = s.kv.createRevision;
        h.version = s.kv.version;
        h.lease = s.kv.lease;
        if (s.kv.lease !== 0) {
          const lease = leases.get(s.kv.lease);
          invariant(lease, `lease ${s.kv.lease} vanished while a write to it was staged`);
          lease.keys.add(s.key);
        }
        batch.put(revKey(this.rev, s.sub), encodePut(s.kv));
      } else {
        batch.put(revKey(this.rev, s.sub), encodeTombstone(key));
      }
      events.push({
        main: this.rev,
        sub: s.sub,
        keyStr: s.key,
        key,
        kv: s.kv,
        ...(s.prevKv ? { prevKv: s.prevKv } : {}),
      });
    }
    this.state.revision = this.rev;
    return events;
  }
}
