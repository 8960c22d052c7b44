// lease grant | revoke | keepalive | list | timetolive through the
// @flotilla/client remote backend. Lease ids are printed and read in hex, as
// etcdctl does.
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { intOption, text, type CommandContext } from './command.js';
import { CliError, UsageError } from './errors.js';
import {
  etcdctlJson,
  inlineHeader,
  LEASE_GRANT,
  LEASE_KEEP_ALIVE,
  LEASE_LEASES,
  LEASE_REVOKE,
  LEASE_TIME_TO_LIVE,
} from './etcdctl-json.js';
import { writeOutOf } from './globals.js';
import { leaseHex, parseHexId } from './ids.js';
import type { Runner } from './runner.js';

type Opts = Record<string, unknown>;

/**
 * -w json: the gateway's answer itself, printed as etcdctl prints it (the KV interface keeps
 * no header ids). Ids go as decimal strings; parseHexId keeps them below 2^53, so exact.
 */
async function printLeaseJson(
  ctx: CommandContext,
  route: string,
  body: Record<string, unknown>,
  shape: typeof LEASE_GRANT,
): Promise<void> {
  const answer = await ctx.api.post(route, body);
  ctx.out(etcdctlJson(shape === LEASE_REVOKE ? answer : inlineHeader(answer), shape));
}

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
          if (writeOutOf(ctx.globals, 'lease grant', ['simple', 'json']) === 'json')
            return printLeaseJson(ctx, '/v3/lease/grant', { TTL: ttlText }, LEASE_GRANT);
          const granted = await (await ctx.kv()).leaseGrant(Number(ttlText));
          ctx.out(`lease ${leaseHex(granted.id)} granted with TTL(${granted.ttlSeconds}s)`);
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
          if (writeOutOf(ctx.globals, 'lease revoke', ['simple', 'json']) === 'json')
            return printLeaseJson(ctx, '/v3/lease/revoke', { ID: String(id) }, LEASE_REVOKE);
          await (await ctx.kv()).leaseRevoke(id);
          ctx.out(`lease ${leaseHex(id)} revoked`);
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
        if (writeOutOf(ctx.globals, 'lease list', ['simple', 'json']) === 'json')
          return printLeaseJson(ctx, '/v3/lease/leases', {}, LEASE_LEASES);
        const ids = await (await ctx.kv()).leases();
        ctx.out(`found ${ids.length} leases`);
        for (const id of ids) ctx.out(leaseHex(id));
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
        if (writeOutOf(ctx.globals, 'lease timetolive', ['simple', 'json']) === 'json')
          return printLeaseJson(
            ctx,
            '/v3/lease/timetolive',
            { ID: String(id), keys: withKeys },
            LEASE_TIME_TO_LIVE,
          );
        const ttl = await (await ctx.kv()).leaseTimeToLive(id, { keys: withKeys });
        if (!ttl) {
          ctx.out(`lease ${leaseHex(id)} already expired`);
          return;
        }
        // etcdctl prints Go's %v of the key list: [k1 k2].
        const keys = withKeys ? `, attached keys([${ttl.keys.map(text).join(' ')}])` : '';
        ctx.out(
          `lease ${leaseHex(id)} granted with TTL(${ttl.grantedTtlSeconds}s), remaining(${ttl.ttlSeconds}s)${keys}`,
        );
      }),
    );
}

/** One renewal through the gateway, printed as etcdctl -w json prints it; the TTL granted. */
async function renewJson(ctx: CommandContext, id: number): Promise<number> {
  const answer = await ctx.api.post('/v3/lease/keepalive', { ID: String(id) });
  const result = (answer['result'] ?? {}) as Record<string, unknown>;
  const ttl = Number(result['TTL'] ?? 0);
  if (ttl <= 0) throw new CliError(`lease ${leaseHex(id)} expired or revoked`);
  ctx.out(etcdctlJson(inlineHeader(result), LEASE_KEEP_ALIVE));
  return ttl;
}

async function keepAlive(ctx: CommandContext, id: number, opts: Opts): Promise<void> {
  const fixedInterval = intOption(opts['intervalMs'], '--interval-ms', 'lease keepalive');
  const json = writeOutOf(ctx.globals, 'lease keepalive', ['simple', 'json']) === 'json';
  const kv = await ctx.kv();
  for (;;) {
    let ttl: number;
    // Each renewal has the whole --command-timeout, retries included.
    ctx.deadline.start();
    try {
      ttl = json
        ? await ctx.deadline.race(renewJson(ctx, id))
        : (await ctx.deadline.race(kv.leaseKeepAlive(id))).ttlSeconds;
    } catch (err) {
      if ((err as Error).name === 'LeaseNotFoundError')
        throw new CliError(`lease ${leaseHex(id)} expired or revoked`);
      throw err;
    }
    ctx.deadline.clear();
    if (!json) ctx.out(`lease ${leaseHex(id)} keepalived with TTL(${ttl})`);
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
