// Range reads: at the current revision, at a past one (until compacted), or
// inside a txn (seeing the txn's own earlier writes). Results are capped by
// rangeKeysMax and rangeBytesMax and loaded page by page, so one range over a
// huge keyspace cannot exhaust memory; `more` tells the caller to continue.

import { compareBytes, fromKeyStr } from './bytes.js';
import { CompactedError, FutureRevisionError, InvalidRequestError, invariant } from './errors.js';
import { spanOf } from './layout.js';
import type { KvState, ReadView } from './store.js';
import type { KeyValue, RangeRequest, RangeResponse, SortOrder, SortTarget } from './types.js';
import { liveCur, loadKvs, type Cur, type WriteTxn } from './write-txn.js';

const EMPTY = new Uint8Array(0);

interface Candidates {
  list: Cur[];
  /** False for past revisions: only modRevision is known until records are loaded. */
  metaKnown: boolean;
  revision: number;
}

function candidates(state: KvState, req: RangeRequest, txn: WriteTxn | undefined): Candidates {
  const span = spanOf(req.key, req.rangeEnd);
  const requested = req.revision ?? 0;
  if (txn && requested === 0)
    return { list: txn.liveInSpan(span), metaKnown: true, revision: state.revision };
  const rev = requested === 0 ? state.revision : requested;
  if (rev > state.revision) throw FutureRevisionError.of(rev, state.revision);
  if (rev < state.compactRevision) throw CompactedError.of(rev, state.compactRevision);
  const list: Cur[] = [];
  if (rev === state.revision) {
    for (const h of state.index.span(span)) {
      const cur = liveCur(h);
      if (cur) list.push(cur);
    }
    return { list, metaKnown: true, revision: rev };
  }
  for (const h of state.index.span(span)) {
    const pos = h.visibleAt(rev);
    if (pos)
      list.push({
        key: h.key,
        createRevision: 0,
        modRevision: pos.main,
        version: 0,
        lease: 0,
        pos,
      });
  }
  return { list, metaKnown: false, revision: rev };
}

function field(
  target: SortTarget,
  c: { createRevision: number; modRevision: number; version: number },
): number {
  return target === 'VERSION' ? c.version : target === 'CREATE' ? c.createRevision : c.modRevision;
}

function sortCurs(list: Cur[], order: SortOrder, target: SortTarget): void {
  if (target !== 'KEY') list.sort((a, b) => field(target, a) - field(target, b));
  if (order === 'DESCEND') list.reverse();
}

function sortKvs(list: KeyValue[], order: SortOrder, target: SortTarget): void {
  if (target === 'VALUE') list.sort((a, b) => compareBytes(a.value, b.value));
  else if (target !== 'KEY') list.sort((a, b) => field(target, a) - field(target, b));
  if (order === 'DESCEND') list.reverse();
}

/** Loads kvs, turning a record missing because of a racing compaction into CompactedError. */
async function load(state: KvState, view: ReadView, curs: Cur[], rev: number): Promise<KeyValue[]> {
  try {
    return await loadKvs(view, curs);
  } catch (err) {
    if (state.compactRevision > rev) throw CompactedError.of(rev, state.compactRevision);
    throw err;
  }
}

/** Serves a range; throws KvError for a bad revision or request. Header revision is the caller's. */
export async function range(
  state: KvState,
  view: ReadView,
  req: RangeRequest,
  txn?: WriteTxn,
): Promise<RangeResponse> {
  const found = candidates(state, req, txn);
  const { list, revision } = found;
  const count = list.length;
  const header = { revision: state.revision };
  if (req.countOnly) return { header, kvs: [], more: false, count };

  let target: SortTarget = req.sortTarget ?? 'KEY';
  let order: SortOrder = req.sortOrder ?? 'NONE';
  if (order === 'NONE' && target !== 'KEY') order = 'ASCEND';
  if (order === 'NONE') target = 'KEY';
  const limits = state.limits;
  const cap = Math.min(req.limit || Number.MAX_SAFE_INTEGER, limits.rangeKeysMax);
  const needsRecords =
    target === 'VALUE' || (!found.metaKnown && (target === 'VERSION' || target === 'CREATE'));

  let kvs: KeyValue[];
  if (needsRecords) {
    if (count > limits.rangeSortKeysMax) {
      throw new InvalidRequestError(
        `sorting by ${target} over ${count} keys exceeds rangeSortKeysMax (${limits.rangeSortKeysMax}); narrow the range or sort by KEY or MOD`,
      );
    }
    const all = await load(state, view, list, revision);
    sortKvs(all, order, target);
    kvs = capBytes(all.slice(0, cap), limits.rangeBytesMax);
  } else {
    sortCurs(list, order, target);
    kvs = await loadCapped(
      state,
      view,
      list.slice(0, cap),
      revision,
      req.keysOnly === true && found.metaKnown,
    );
  }
  if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
  return { header, kvs, more: kvs.length < count, count };
}

function capBytes(kvs: KeyValue[], bytesMax: number): KeyValue[] {
  let bytes = 0;
  for (let i = 0; i < kvs.length; i++) {
    bytes += kvs[i]!.key.byteLength + kvs[i]!.value.byteLength;
    if (bytes > bytesMax && i > 0) return kvs.slice(0, i);
  }
  return kvs;
}

/** Loads page by page and stops once rangeBytesMax is reached. */
async function loadCapped(
  state: KvState,
  view: ReadView,
  curs: Cur[],
  rev: number,
  metaOnly: boolean,
): Promise<KeyValue[]> {
  if (metaOnly) {
    return curs.map((c) => ({
      key: c.kv?.key ?? fromKeyStr(c.key),
      value: EMPTY,
      createRevision: c.createRevision,
      modRevision: c.modRevision,
      version: c.version,
      lease: c.lease,
    }));
  }
  const out: KeyValue[] = [];
  let bytes = 0;
  const page = state.limits.readPageKeys;
  for (let at = 0; at < curs.length; at += page) {
    const kvs = await load(state, view, curs.slice(at, at + page), rev);
    for (const kv of kvs) {
      bytes += kv.key.byteLength + kv.value.byteLength;
      if (bytes > state.limits.rangeBytesMax && out.length > 0) return out;
      out.push(kv);
    }
  }
  invariant(out.length === curs.length, 'range lost keys while loading');
  return out;
}
