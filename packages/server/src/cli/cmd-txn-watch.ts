// txn (etcdctl's stdin format) and watch (until Ctrl-C or --max-events),
// through the @flotilla/client remote backend.
import type { WatchOptions } from '@flotilla/client';
import { txnBody } from '@flotilla/client/wire-json';
import type { ResponseOp } from '@flotilla/kv';
import type { Command } from 'commander';
import { intOption, text, type CommandContext } from './command.js';
import { keyRange } from './cmd-kv.js';
import { UsageError } from './errors.js';
import { etcdctlJson, TXN, wrapResponses } from './etcdctl-json.js';
import { writeOutOf } from './globals.js';
import type { Runner } from './runner.js';
import { parseTxnInput } from './txn-parse.js';

type Opts = Record<string, unknown>;

const TXN_HELP = `
stdin holds compares, a blank line, requests if they all hold, a blank line,
requests otherwise (etcdctl's format), e.g.
  mod("k") > "0"

  put k "v2"

  get k`;

function printResponse(ctx: CommandContext, op: ResponseOp): void {
  if (op.responsePut) ctx.out('OK');
  for (const kv of op.responseRange?.kvs ?? []) {
    ctx.out(text(kv.key));
    ctx.out(text(kv.value));
  }
  if (op.responseDeleteRange) ctx.out(String(op.responseDeleteRange.deleted));
}

export function addTxnWatchCommands(program: Command, runner: Runner): void {
  program
    .command('txn')
    .description('runs a transaction read from stdin')
    .addHelpText('after', TXN_HELP)
    .action((_opts: Opts, cmd: Command) =>
      runner.bounded(
        cmd,
        'txn',
        async (ctx) => {
          const format = writeOutOf(ctx.globals, 'txn', ['simple', 'json']);
          const input = await ctx.readStdin();
          if (input.trim() === '')
            throw new UsageError(
              'txn: reads compares, success and failure requests from stdin (blank-line separated); got nothing',
            );
          const spec = parseTxnInput(input);
          if (format === 'json') {
            // The gateway's answer itself: the KV interface drops the header's ids.
            const answer = await ctx.api.post('/v3/kv/txn', txnBody(spec));
            ctx.out(etcdctlJson(wrapResponses(answer), TXN));
            return;
          }
          const res = await (await ctx.kv()).txn(spec);
          ctx.out(res.succeeded ? 'SUCCESS' : 'FAILURE');
          for (const op of res.responses) {
            ctx.out('');
            printResponse(ctx, op);
          }
        },
        true,
      ),
    );

  program
    .command('watch')
    .description('prints the changes to a key or a range of keys until Ctrl-C')
    .argument('<key>')
    .argument('[end]', 'end of the range (exclusive)')
    .option('--prefix', 'watch the keys with the prefix key')
    .option('--rev <n>', 'start at revision n (earlier events are replayed)')
    .option('--prev-kv', 'print the previous key-value pair of each event')
    .option('--max-events <n>', 'exit after n events')
    .action((key: string, end: string | undefined, opts: Opts, cmd: Command) =>
      runner.open(cmd, 'watch', (ctx) => watch(ctx, key, end, opts)),
    );
}

async function watch(
  ctx: CommandContext,
  key: string,
  end: string | undefined,
  opts: Opts,
): Promise<void> {
  const target = keyRange(key, end, opts, 'watch');
  const options: WatchOptions = {};
  const rev = intOption(opts['rev'], '--rev', 'watch');
  if (rev) options.startRevision = rev;
  if (opts['prevKv'] === true) options.prevKv = true;
  const maxEvents = intOption(opts['maxEvents'], '--max-events', 'watch') ?? Infinity;
  const stream = (await ctx.kv()).watch(target, options);
  const stop = (): void => stream.cancel();
  ctx.signal.addEventListener('abort', stop);
  let seen = 0;
  try {
    // The first connection must succeed within --command-timeout; after that the watch reconnects until Ctrl-C.
    ctx.deadline.start();
    await ctx.deadline.race(stream.ready());
    ctx.deadline.clear();
    for await (const batch of stream) {
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
    stream.cancel();
  }
}
