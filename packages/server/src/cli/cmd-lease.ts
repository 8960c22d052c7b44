// lease grant | revoke | keepalive | list | timetolive through the
// @flotilla/client remote backend. Lease ids are printed and read in hex, as
// etcdctl does.
import { setTimeout as delay } from 'node:timers/promises';
import { intFlag, noExtra, parse, positional, type CommandContext } from './command.js';
import { CliError, UsageError } from './errors.js';
import { hexId, parseHexId } from './ids.js';

const text = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');

export async function cmdLease(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'grant': {
      const parsed = parse('lease grant', rest, {});
      const ttlText = positional(parsed, 0, 'lease grant', 'the TTL in seconds');
      noExtra(parsed, 1, 'lease grant');
      if (!/^\d+$/.test(ttlText) || Number(ttlText) <= 0) throw new UsageError(`lease grant: TTL must be a positive number of seconds, got ${JSON.stringify(ttlText)}`);
      const lease = await (await ctx.kv()).leaseGrant(Number(ttlText));
      ctx.out(`lease ${hexId(lease.id)} granted with TTL(${lease.ttlSeconds}s)`);
      return;
    }
    case 'revoke': {
      const parsed = parse('lease revoke', rest, {});
      const id = parseHexId(positional(parsed, 0, 'lease revoke', 'the lease id'), 'lease id');
      noExtra(parsed, 1, 'lease revoke');
      await (await ctx.kv()).leaseRevoke(id);
      ctx.out(`lease ${hexId(id)} revoked`);
      return;
    }
    case 'keepalive':
      return keepAlive(ctx, rest);
    case 'list': {
      noExtra(parse('lease list', rest, {}), 0, 'lease list');
      const ids = await (await ctx.kv()).leases();
      ctx.out(`found ${ids.length} leases`);
      for (const id of ids) ctx.out(hexId(id));
      return;
    }
    case 'timetolive': {
      const parsed = parse('lease timetolive', rest, { keys: { type: 'boolean' } });
      const id = parseHexId(positional(parsed, 0, 'lease timetolive', 'the lease id'), 'lease id');
      noExtra(parsed, 1, 'lease timetolive');
      const withKeys = parsed.values['keys'] === true;
      const ttl = await (await ctx.kv()).leaseTimeToLive(id, { keys: withKeys });
      if (!ttl) {
        ctx.out(`lease ${hexId(id)} already expired`);
        return;
      }
      const keys = withKeys ? `, attached keys(${JSON.stringify(ttl.keys.map(text))})` : '';
      ctx.out(`lease ${hexId(id)} granted with TTL(${ttl.grantedTtlSeconds}s), remaining(${ttl.ttlSeconds}s)${keys}`);
      return;
    }
    default:
      throw new UsageError(`lease: unknown subcommand ${JSON.stringify(sub ?? '')}; use grant, revoke, keepalive, list or timetolive`);
  }
}

async function keepAlive(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parse('lease keepalive', args, { once: { type: 'boolean' }, 'interval-ms': { type: 'string' } });
  const id = parseHexId(positional(parsed, 0, 'lease keepalive', 'the lease id'), 'lease id');
  noExtra(parsed, 1, 'lease keepalive');
  const fixedInterval = intFlag(parsed, 'interval-ms', 'lease keepalive');
  const kv = await ctx.kv();
  for (;;) {
    let ttl: number;
    try {
      ttl = (await kv.leaseKeepAlive(id)).ttlSeconds;
    } catch (err) {
      if ((err as Error).name === 'LeaseNotFoundError') throw new CliError(`lease ${hexId(id)} expired or revoked`);
      throw err;
    }
    ctx.out(`lease ${hexId(id)} keepalived with TTL(${ttl})`);
    if (parsed.values['once']) return;
    // A third of the TTL, like etcd's client: two more tries fit before the lease would lapse.
    try {
      await delay(fixedInterval ?? Math.max(500, (ttl * 1000) / 3), undefined, { signal: ctx.signal });
    } catch {
      return;
    }
  }
}
