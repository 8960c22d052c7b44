// lease grant | revoke | keepalive | list | timetolive through the
// @flotilla/client remote backend. Lease ids are printed and read in hex, as
// etcdctl does.
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { intOption, text, type CommandContext } from './command.js';
import { CliError, UsageError } from './errors.js';
import { hexId, parseHexId } from './ids.js';
import type { Runner } from './runner.js';

type Opts = Record<string, unknown>;

export function addLeaseCommands(program: Command, runner: Runner): void {
  const lease = program
    .command('lease')
    .description('lease commands: grant, revoke, keepalive, list, timetolive');

  lease
    .command('grant')
    .description('creates a lease with a TTL in seconds')
    .argument('<ttl>', 'seconds')
    .action((ttlText: string, _opts: Opts, cmd: Command) =>
      runner.bounded(
        cmd,
        'lease grant',
        async (ctx) => {
          if (!/^\d+$/.test(ttlText) || Number(ttlText) <= 0)
            throw new UsageError(
              `lease grant: TTL must be a positive number of seconds, got ${JSON.stringify(ttlText)}`,
            );
          const granted = await (await ctx.kv()).leaseGrant(Number(ttlText));
          ctx.out(`lease ${hexId(granted.id)} granted with TTL(${granted.ttlSeconds}s)`);
        },
        true,
      ),
    );

  lease
    .command('revoke')
    .description('revokes a lease and deletes its keys')
    .argument('<id>', 'lease id (hex)')
    .action((idText: string, _opts: Opts, cmd: Command) =>
      runner.bounded(
        cmd,
        'lease revoke',
        async (ctx) => {
          const id = parseHexId(idText, 'lease id');
          await (await ctx.kv()).leaseRevoke(id);
          ctx.out(`lease ${hexId(id)} revoked`);
        },
        true,
      ),
    );

  lease
    .command('keepalive')
    .alias('keep-alive')
    .description(
      'keeps a lease alive until Ctrl-C (each renewal must succeed within --command-timeout)',
    )
    .argument('<id>', 'lease id (hex)')
    .option('--once', 'renew once and exit')
    .option('--interval-ms <ms>', 'renew every ms (default: a third of the TTL)')
    .action((idText: string, opts: Opts, cmd: Command) =>
      runner.open(cmd, 'lease keepalive', (ctx) =>
        keepAlive(ctx, parseHexId(idText, 'lease id'), opts),
      ),
    );

  lease
    .command('list')
    .description('lists all active leases')
    .action((_opts: Opts, cmd: Command) =>
      runner.bounded(cmd, 'lease list', async (ctx) => {
        const ids = await (await ctx.kv()).leases();
        ctx.out(`found ${ids.length} leases`);
        for (const id of ids) ctx.out(hexId(id));
      }),
    );

  lease
    .command('timetolive')
    .description("shows a lease's granted and remaining TTL")
    .argument('<id>', 'lease id (hex)')
    .option('--keys', 'also list the keys attached to the lease')
    .action((idText: string, opts: Opts, cmd: Command) =>
      runner.bounded(cmd, 'lease timetolive', async (ctx) => {
        const id = parseHexId(idText, 'lease id');
        const withKeys = opts['keys'] === true;
        const ttl = await (await ctx.kv()).leaseTimeToLive(id, { keys: withKeys });
        if (!ttl) {
          ctx.out(`lease ${hexId(id)} already expired`);
          return;
        }
        const keys = withKeys ? `, attached keys(${JSON.stringify(ttl.keys.map(text))})` : '';
        ctx.out(
          `lease ${hexId(id)} granted with TTL(${ttl.grantedTtlSeconds}s), remaining(${ttl.ttlSeconds}s)${keys}`,
        );
      }),
    );
}

async function keepAlive(ctx: CommandContext, id: number, opts: Opts): Promise<void> {
  const fixedInterval = intOption(opts['intervalMs'], '--interval-ms', 'lease keepalive');
  const kv = await ctx.kv();
  for (;;) {
    let ttl: number;
    // Each renewal has the whole --command-timeout, retries included.
    ctx.deadline.start();
    try {
      ttl = (await ctx.deadline.race(kv.leaseKeepAlive(id))).ttlSeconds;
    } catch (err) {
      if ((err as Error).name === 'LeaseNotFoundError')
        throw new CliError(`lease ${hexId(id)} expired or revoked`);
      throw err;
    }
    ctx.deadline.clear();
    ctx.out(`lease ${hexId(id)} keepalived with TTL(${ttl})`);
    if (opts['once'] === true) return;
    // A third of the TTL, like etcd's client: two more tries fit before the lease would lapse.
    try {
      await delay(fixedInterval ?? Math.max(500, (ttl * 1000) / 3), undefined, {
        signal: ctx.signal,
      });
    } catch {
      return;
    }
  }
}
