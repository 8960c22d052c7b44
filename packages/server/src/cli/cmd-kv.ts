// put, get, del and compaction through the @flotilla/client remote backend,
// printed as etcdctl prints them.
import type { KeyRange, KeyValue, RangeSpec, SortOrder, SortTarget } from '@flotilla/client';
import { deleteBody, putBody, rangeBody } from '@flotilla/client/wire-json';
import type { Command } from 'commander';
import { intOption, stringOption, text, type CommandContext } from './command.js';
import { UsageError } from './errors.js';
import { DELETE_RANGE, etcdctlJson, PUT, RANGE } from './etcdctl-json.js';
import { writeOutOf } from './globals.js';
import { parseHexId } from './ids.js';
import type { Runner } from './runner.js';

type Opts = Record<string, unknown>;

function printKvs(
  ctx: CommandContext,
  kvs: readonly KeyValue[],
  valueOnly = false,
  keysOnly = false,
): void {
  for (const kv of kvs) {
    if (!valueOnly) ctx.out(text(kv.key));
    if (!keysOnly) ctx.out(text(kv.value));
  }
}

/** key [range_end] with --prefix / --from-key, as etcdctl reads them. */
export function keyRange(
  key: string,
  end: string | undefined,
  opts: Opts,
  command: string,
): KeyRange {
  if (opts['prefix'] === true) {
    if (end !== undefined) throw new UsageError(`${command}: --prefix takes no range end`);
    return { prefix: key };
  }
  // etcd refuses an empty key: etcdctl sends `--from-key ""` as every key from \0.
  if (opts['fromKey'] === true) return { key: key === '' ? '\0' : key, rangeEnd: '\0' };
  return end === undefined ? { key } : { key, rangeEnd: end };
}

const ORDERS: readonly SortOrder[] = ['ASCEND', 'DESCEND'];
const SORT_BY: Record<string, SortTarget> = {
  KEY: 'KEY',
  VERSION: 'VERSION',
  CREATE: 'CREATE',
  MODIFY: 'MOD',
  VALUE: 'VALUE',
};

/** get's flags as a range request (etcdctl's meanings). */
export function rangeSpec(key: string, end: string | undefined, opts: Opts): RangeSpec {
  const spec: RangeSpec = { ...keyRange(key, end, opts, 'get') };
  const limit = intOption(opts['limit'], '--limit', 'get');
  if (limit) spec.limit = limit;
  const rev = intOption(opts['rev'], '--rev', 'get');
  if (rev) spec.revision = rev;
  if (opts['keysOnly'] === true) spec.keysOnly = true;
  if (opts['countOnly'] === true) spec.countOnly = true;
  const order = stringOption(opts['order']);
  if (order !== undefined && !ORDERS.includes(order as SortOrder))
    throw new UsageError('get: --order must be ASCEND or DESCEND');
  const sortBy = stringOption(opts['sortBy']);
  if (sortBy !== undefined && !SORT_BY[sortBy])
    throw new UsageError('get: --sort-by must be KEY, VERSION, CREATE, MODIFY or VALUE');
  if (order !== undefined || sortBy !== undefined)
    spec.sort = {
      order: (order as SortOrder | undefined) ?? 'ASCEND',
      target: SORT_BY[sortBy ?? 'KEY']!,
    };
  const consistency = stringOption(opts['consistency']) ?? 'l';
  if (consistency !== 'l' && consistency !== 's')
    throw new UsageError('get: --consistency must be l (linearizable) or s (serializable)');
  spec.consistency = consistency === 's' ? 'serializable' : 'linearizable';
  return spec;
}

export function addKvCommands(program: Command, runner: Runner): void {
  program
    .command('put')
    .description('puts the given key into the store')
    .argument('<key>')
    .argument('<value>')
    .option('--lease <id>', 'attach the key to this lease (hex id, from lease grant)')
    .option('--prev-kv', 'print the previous key-value pair')
    .action((key: string, value: string, opts: Opts, cmd: Command) =>
      runner.bounded(
        cmd,
        'put',
        async (ctx) => {
          const format = writeOutOf(ctx.globals, 'put', ['simple', 'json']);
          const leaseText = stringOption(opts['lease']);
          const lease = leaseText === undefined ? undefined : parseHexId(leaseText, '--lease');
          const options = { ...(lease ? { lease } : {}), prevKv: opts['prevKv'] === true };
          if (format === 'json') {
            // The gateway's answer itself: the KV interface drops the header's ids.
            ctx.out(
              etcdctlJson(await ctx.api.post('/v3/kv/put', putBody(key, value, options)), PUT),
            );
            return;
          }
          const res = await (await ctx.kv()).put(key, value, options);
          ctx.out('OK');
          if (res.prevKv) printKvs(ctx, [res.prevKv]);
        },
        true,
      ),
    );

  program
    .command('get')
    .description('gets the key or a range of keys [key, end)')
    .argument('<key>')
    .argument('[end]', 'end of the range (exclusive)')
    .option('--prefix', 'get the keys with the prefix key')
    .option('--from-key', 'get the keys >= key')
    .option('--limit <n>', 'at most n keys')
    .option('--rev <n>', 'read at revision n')
    .option('--keys-only', 'print only the keys')
    .option('--count-only', 'print only the number of keys')
    .option('--print-value-only', 'print only the values (simple format)')
    .option('--order <order>', 'ASCEND or DESCEND')
    .option('--sort-by <target>', 'KEY, VERSION, CREATE, MODIFY or VALUE')
    .option('--consistency <l|s>', 'l (linearizable, default) or s (serializable)')
    .addHelpText('after', '\nOutput (-w): simple (default) or json.')
    .action((key: string, end: string | undefined, opts: Opts, cmd: Command) =>
      runner.bounded(cmd, 'get', async (ctx) => {
        const spec = rangeSpec(key, end, opts);
        const format = writeOutOf(ctx.globals, 'get', ['simple', 'json']);
        if (format === 'json') {
          ctx.out(etcdctlJson(await ctx.api.post('/v3/kv/range', rangeBody(spec)), RANGE));
          return;
        }
        const res = await (await ctx.kv()).range(spec);
        if (opts['countOnly'] === true) ctx.out(String(res.count));
        else printKvs(ctx, res.kvs, opts['printValueOnly'] === true, opts['keysOnly'] === true);
      }),
    );

  program
    .command('del')
    .description('removes the key or a range of keys [key, end)')
    .argument('<key>')
    .argument('[end]', 'end of the range (exclusive)')
    .option('--prefix', 'delete the keys with the prefix key')
    .option('--from-key', 'delete the keys >= key')
    .option('--prev-kv', 'print the deleted key-value pairs')
    .action((key: string, end: string | undefined, opts: Opts, cmd: Command) =>
      runner.bounded(
        cmd,
        'del',
        async (ctx) => {
          const format = writeOutOf(ctx.globals, 'del', ['simple', 'json']);
          const range = keyRange(key, end, opts, 'del');
          const options = { prevKv: opts['prevKv'] === true };
          if (format === 'json') {
            const answer = await ctx.api.post('/v3/kv/deleterange', deleteBody(range, options));
            ctx.out(etcdctlJson(answer, DELETE_RANGE));
            return;
          }
          const res = await (await ctx.kv()).delete(range, options);
          ctx.out(String(res.deleted));
          printKvs(ctx, res.prevKvs);
        },
        true,
      ),
    );

  program
    .command('compaction')
    .description(
      'discards all revisions before the given one (they can no longer be read or watched)',
    )
    .argument('<revision>')
    .action((revText: string, _opts: Opts, cmd: Command) =>
      runner.bounded(
        cmd,
        'compaction',
        async (ctx) => {
          const rev = intOption(revText, 'revision', 'compaction');
          if (!rev)
            throw new UsageError(
              `compaction: the revision must be a positive integer, got ${JSON.stringify(revText)}`,
            );
          await (await ctx.kv()).compact(rev);
          ctx.out(`compacted revision ${rev}`);
        },
        true,
      ),
    );
}
