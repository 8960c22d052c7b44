// txn (etcdctl's stdin format) and watch (until Ctrl-C or --max-events),
// through the @flotilla/client remote backend.
import type { WatchOptions } from '@flotilla/client';
import type { ResponseOp } from '@flotilla/kv';
import { intFlag, parse, type CommandContext } from './command.js';
import { keyRange } from './cmd-kv.js';
import { UsageError } from './errors.js';
import { parseTxnInput } from './txn-parse.js';

const text = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');

function printResponse(ctx: CommandContext, op: ResponseOp): void {
  if (op.responsePut) ctx.out('OK');
  for (const kv of op.responseRange?.kvs ?? []) {
    ctx.out(text(kv.key));
    ctx.out(text(kv.value));
  }
  if (op.responseDeleteRange) ctx.out(String(op.responseDeleteRange.deleted));
}

export async function cmdTxn(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parse('txn', args, {});
  if (parsed.positionals.length > 0) throw new UsageError('txn: takes no arguments; it reads the transaction from stdin');
  const input = await ctx.readStdin();
  if (input.trim() === '') throw new UsageError('txn: reads compares, success and failure requests from stdin (blank-line separated); got nothing');
  const res = await (await ctx.kv()).txn(parseTxnInput(input));
  ctx.out(res.succeeded ? 'SUCCESS' : 'FAILURE');
  for (const op of res.responses) {
    ctx.out('');
    printResponse(ctx, op);
  }
}

export async function cmdWatch(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parse('watch', args, {
    prefix: { type: 'boolean' },
    rev: { type: 'string' },
    'prev-kv': { type: 'boolean' },
    'max-events': { type: 'string' },
  });
  const target = keyRange(parsed, 'watch');
  const options: WatchOptions = {};
  const rev = intFlag(parsed, 'rev', 'watch');
  if (rev) options.startRevision = rev;
  if (parsed.values['prev-kv']) options.prevKv = true;
  const maxEvents = intFlag(parsed, 'max-events', 'watch') ?? Infinity;
  const watch = (await ctx.kv()).watch(target, options);
  const stop = (): void => watch.cancel();
  ctx.signal.addEventListener('abort', stop);
  let seen = 0;
  try {
    for await (const batch of watch) {
      for (const event of batch.events) {
        ctx.out(event.type);
        if (event.prevKv) {
          ctx.out(text(event.prevKv.key));
          ctx.out(text(event.prevKv.value));
        }
        ctx.out(text(event.kv.key));
        ctx.out(text(event.kv.value));
        if (++seen >= maxEvents) return;
      }
    }
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    watch.cancel();
  }
}
