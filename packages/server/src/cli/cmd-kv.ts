// put, get, del through the @flotilla/client remote backend, printed as
// etcdctl prints them.
import type { KeyRange, KeyValue, RangeSpec, SortOrder, SortTarget } from '@flotilla/client';
import { encodeRangeBody } from '../codec/encode-kv.js';
import { intFlag, noExtra, parse, positional, type CommandContext, type Parsed } from './command.js';
import { UsageError } from './errors.js';
import { parseHexId } from './ids.js';

const text = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');

function printKvs(ctx: CommandContext, kvs: readonly KeyValue[], valueOnly = false, keysOnly = false): void {
  for (const kv of kvs) {
    if (!valueOnly) ctx.out(text(kv.key));
    if (!keysOnly) ctx.out(text(kv.value));
  }
}

/** key [range_end] with --prefix / --from-key, as etcdctl reads them. */
export function keyRange(parsed: Parsed, command: string): KeyRange {
  const key = positional(parsed, 0, command, 'the key');
  const end = parsed.positionals[1];
  noExtra(parsed, 2, command);
  if (parsed.values['prefix']) {
    if (end !== undefined) throw new UsageError(`${command}: --prefix takes no range end`);
    return { prefix: key };
  }
  if (parsed.values['from-key']) return { key, rangeEnd: '\0' };
  return end === undefined ? { key } : { key, rangeEnd: end };
}

export async function cmdPut(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parse('put', args, { lease: { type: 'string' }, 'prev-kv': { type: 'boolean' } });
  const key = positional(parsed, 0, 'put', 'the key');
  const value = positional(parsed, 1, 'put', 'the value');
  noExtra(parsed, 2, 'put');
  const leaseText = parsed.values['lease'];
  const lease = typeof leaseText === 'string' ? parseHexId(leaseText, '--lease') : undefined;
  const res = await (await ctx.kv()).put(key, value, { ...(lease ? { lease } : {}), prevKv: parsed.values['prev-kv'] === true });
  ctx.out('OK');
  if (res.prevKv) printKvs(ctx, [res.prevKv]);
}

const ORDERS: readonly SortOrder[] = ['ASCEND', 'DESCEND'];
const SORT_BY: Record<string, SortTarget> = { KEY: 'KEY', VERSION: 'VERSION', CREATE: 'CREATE', MODIFY: 'MOD', VALUE: 'VALUE' };

export async function cmdGet(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parse('get', args, {
    prefix: { type: 'boolean' },
    'from-key': { type: 'boolean' },
    limit: { type: 'string' },
    rev: { type: 'string' },
    'keys-only': { type: 'boolean' },
    'count-only': { type: 'boolean' },
    'print-value-only': { type: 'boolean' },
    order: { type: 'string' },
    'sort-by': { type: 'string' },
    consistency: { type: 'string' },
    'write-out': { type: 'string', short: 'w' },
  });
  const spec: RangeSpec = { ...keyRange(parsed, 'get') };
  const limit = intFlag(parsed, 'limit', 'get');
  if (limit) spec.limit = limit;
  const rev = intFlag(parsed, 'rev', 'get');
  if (rev) spec.revision = rev;
  if (parsed.values['keys-only']) spec.keysOnly = true;
  if (parsed.values['count-only']) spec.countOnly = true;
  const order = parsed.values['order'];
  if (order !== undefined && !ORDERS.includes(order as SortOrder)) throw new UsageError('get: --order must be ASCEND or DESCEND');
  const sortBy = parsed.values['sort-by'];
  if (sortBy !== undefined && !SORT_BY[String(sortBy)]) throw new UsageError('get: --sort-by must be KEY, VERSION, CREATE, MODIFY or VALUE');
  if (order !== undefined || sortBy !== undefined) {
    spec.sort = { order: (order as SortOrder | undefined) ?? 'ASCEND', target: SORT_BY[String(sortBy ?? 'KEY')]! };
  }
  const consistency = parsed.values['consistency'] ?? 'l';
  if (consistency !== 'l' && consistency !== 's') throw new UsageError('get: --consistency must be l (linearizable) or s (serializable)');
  spec.consistency = consistency === 's' ? 'serializable' : 'linearizable';
  const format = parsed.values['write-out'] ?? 'simple';
  if (format !== 'simple' && format !== 'json') throw new UsageError('get: --write-out must be simple or json');
  const res = await (await ctx.kv()).range(spec);
  if (format === 'json') {
    ctx.out(JSON.stringify(encodeRangeBody(res, { revision: String(res.header.revision) })));
  } else if (parsed.values['count-only']) {
    ctx.out(String(res.count));
  } else {
    printKvs(ctx, res.kvs, parsed.values['print-value-only'] === true, parsed.values['keys-only'] === true);
  }
}

export async function cmdDel(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parse('del', args, { prefix: { type: 'boolean' }, 'from-key': { type: 'boolean' }, 'prev-kv': { type: 'boolean' } });
  const res = await (await ctx.kv()).delete(keyRange(parsed, 'del'), { prevKv: parsed.values['prev-kv'] === true });
  ctx.out(String(res.deleted));
  printKvs(ctx, res.prevKvs);
}
