// The write operations (put, deleteRange, txn) executed against a WriteTxn.
// Failures throw a KvError; the caller discards the WriteTxn, so a failed
// write changes nothing.

import { compareBytes, toKeyStr, type KeyStr } from './bytes.js';
import { KeyNotFoundError, LeaseNotFoundError } from './errors.js';
import { spanOf } from './layout.js';
import { range } from './range.js';
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './types.js';
import { liveCur, loadKvs, type Cur, type WriteTxn } from './write-txn.js';

/** Synchronous unless the previous value must be read from storage (prevKv, ignoreValue, a watcher). */
export function put(
  txn: WriteTxn,
  req: PutRequest,
  header: ResponseHeader,
): PutResponse | Promise<PutResponse> {
  const key = toKeyStr(req.key);
  const cur = txn.current(key);
  if (!cur && (req.ignoreValue || req.ignoreLease))
    throw KeyNotFoundError.of('put with ignoreValue or ignoreLease');
  const lease = req.ignoreLease ? cur!.lease : (req.lease ?? 0);
  if (lease !== 0 && !txn.state.leases.has(lease)) throw LeaseNotFoundError.of(lease);
  const needPrev = cur !== undefined && (req.prevKv || req.ignoreValue || txn.eventPrevKv);
  if (!needPrev) return stagePut(txn, req, header, key, cur, lease, undefined);
  return txn.kvOf(cur).then((prevKv) => stagePut(txn, req, header, key, cur, lease, prevKv));
}

function stagePut(
  txn: WriteTxn,
  req: PutRequest,
  header: ResponseHeader,
  key: KeyStr,
  cur: Cur | undefined,
  lease: number,
  prevKv: KeyValue | undefined,
): PutResponse {
  const kv: KeyValue = {
    key: req.key,
    value: req.ignoreValue ? prevKv!.value : req.value,
    createRevision: cur ? cur.createRevision : txn.rev,
    modRevision: txn.rev,
    version: cur ? cur.version + 1 : 1,
    lease,
  };
  txn.stagePut(kv, key, cur, txn.eventPrevKv ? prevKv : undefined);
  return req.prevKv && prevKv ? { header, prevKv } : { header };
}

export async function deleteRange(
  txn: WriteTxn,
  req: DeleteRangeRequest,
  header: ResponseHeader,
): Promise<DeleteRangeResponse> {
  const curs = txn.liveInSpan(spanOf(req.key, req.rangeEnd));
  const prevKvs = req.prevKv || txn.eventPrevKv ? await loadKvs(txn.view, curs) : undefined;
  curs.forEach((cur, i) => txn.stageDelete(cur, txn.eventPrevKv ? prevKvs![i] : undefined));
  return { header, deleted: curs.length, prevKvs: req.prevKv ? prevKvs! : [] };
}

function ordered(result: Compare['result'], diff: number): boolean {
  switch (result) {
    case 'EQUAL':
      return diff === 0;
    case 'NOT_EQUAL':
      return diff !== 0;
    case 'GREATER':
      return diff > 0;
    case 'LESS':
      return diff < 0;
  }
}

function compareOne(c: Compare, cur: Cur | undefined, value: Uint8Array | undefined): boolean {
  switch (c.target) {
    case 'VALUE':
      // etcd: a value compare against a missing key is false, whatever the operator.
      return (
        value !== undefined && ordered(c.result, compareBytes(value, c.value ?? new Uint8Array(0)))
      );
    case 'VERSION':
      return ordered(c.result, (cur?.version ?? 0) - (c.version ?? 0));
    case 'CREATE':
      return ordered(c.result, (cur?.createRevision ?? 0) - (c.createRevision ?? 0));
    case 'MOD':
      return ordered(c.result, (cur?.modRevision ?? 0) - (c.modRevision ?? 0));
    case 'LEASE':
      return ordered(c.result, (cur?.lease ?? 0) - (c.lease ?? 0));
  }
}

/** Compares see the state before the txn (as in etcd); over a range, every key must pass. */
async function evaluate(txn: WriteTxn, c: Compare): Promise<boolean> {
  const curs: Cur[] = [];
  for (const h of txn.state.index.span(spanOf(c.key, c.rangeEnd))) {
    const cur = liveCur(h);
    if (cur) curs.push(cur);
  }
  if (curs.length === 0) return compareOne(c, undefined, undefined);
  const values = c.target === 'VALUE' ? (await loadKvs(txn.view, curs)).map((kv) => kv.value) : [];
  return curs.every((cur, i) => compareOne(c, cur, values[i]));
}

/** Which branch each (nested) txn takes, decided up front against the pre-txn state. */
interface Path {
  succeeded: boolean;
  nested: Path[];
}

async function choosePath(txn: WriteTxn, req: TxnRequest): Promise<Path> {
  let succeeded = true;
  for (const c of req.compare) {
    if (!(await evaluate(txn, c))) {
      succeeded = false;
      break;
    }
  }
  const nested: Path[] = [];
  for (const op of succeeded ? req.success : req.failure) {
    if (op.requestTxn) nested.push(await choosePath(txn, op.requestTxn));
  }
  return { succeeded, nested };
}

async function execute(
  txn: WriteTxn,
  req: TxnRequest,
  path: Path,
  header: ResponseHeader,
): Promise<TxnResponse> {
  const responses: ResponseOp[] = [];
  let nested = 0;
  for (const op of path.succeeded ? req.success : req.failure) {
    if (op.requestRange) {
      const r = await range(txn.state, txn.view, op.requestRange, txn);
      responses.push({ responseRange: { ...r, header } });
    } else if (op.requestPut) {
      responses.push({ responsePut: await put(txn, op.requestPut, header) });
    } else if (op.requestDeleteRange) {
      responses.push({
        responseDeleteRange: await deleteRange(txn, op.requestDeleteRange, header),
      });
    } else if (op.requestTxn) {
      responses.push({
        responseTxn: await execute(txn, op.requestTxn, path.nested[nested++]!, header),
      });
    }
  }
  return { header, succeeded: path.succeeded, responses };
}

export async function runTxn(
  txn: WriteTxn,
  req: TxnRequest,
  header: ResponseHeader,
): Promise<TxnResponse> {
  return execute(txn, req, await choosePath(txn, req), header);
}
