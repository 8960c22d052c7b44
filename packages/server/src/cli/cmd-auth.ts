// auth enable | disable | status, user ..., role ...: etcdctl's auth commands
// over the etcd v3 JSON API (/v3/auth/*), printed in etcdctl 3.4's words.
// Passwords come from `name:password` or --new-user-password: the CLI never
// prompts (etcdctl does when neither is given).
import { prefixEnd } from '@flotilla/kv';
import type { Command } from 'commander';
import type { CommandContext } from './command.js';
import { UsageError } from './errors.js';
import type { Runner } from './runner.js';

type Opts = Record<string, unknown>;

const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');
const unb64 = (s: unknown): Buffer => Buffer.from(typeof s === 'string' ? s : '', 'base64');

/** The JSON answer's list (proto3 JSON omits an empty one). */
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

export function addAuthCommands(program: Command, runner: Runner): void {
  addAuthSwitch(program, runner);
  addUserCommands(program, runner);
  addRoleCommands(program, runner);
}

/** A command whose whole job is one /v3/auth call and one line of etcdctl's output. */
function simple(
  runner: Runner,
  cmd: Command,
  what: string,
  body: (ctx: CommandContext) => Promise<string>,
): Promise<void> {
  return runner.bounded(
    cmd,
    what,
    async (ctx) => {
      ctx.out(await body(ctx));
    },
    true,
  );
}

function addAuthSwitch(program: Command, runner: Runner): void {
  const auth = program
    .command('auth')
    .description('enable or disable authentication: enable, disable, status');
  auth
    .command('enable')
    .description('enables authentication (needs the root user, holding the root role)')
    .action((_o: Opts, cmd: Command) =>
      simple(runner, cmd, 'auth enable', async (ctx) => {
        await ctx.api.post('/v3/auth/enable');
        return 'Authentication Enabled';
      }),
    );
  auth
    .command('disable')
    .description('disables authentication (needs --user root)')
    .action((_o: Opts, cmd: Command) =>
      simple(runner, cmd, 'auth disable', async (ctx) => {
        await ctx.api.post('/v3/auth/disable');
        return 'Authentication Disabled';
      }),
    );
  auth
    .command('status')
    .description('prints whether authentication is enabled, and the auth revision')
    .action((_o: Opts, cmd: Command) =>
      runner.bounded(cmd, 'auth status', async (ctx) => {
        const res = await ctx.api.post('/v3/auth/status');
        ctx.out(`Authentication Status: ${res['enabled'] === true}`);
        ctx.out(`AuthRevision: ${Number(res['authRevision'] ?? 0)}`);
      }),
    );
}

/** `name:password`, or the name and --new-user-password (which wins, so a name may hold a colon). */
function nameAndPassword(
  arg: string,
  opts: Opts,
  command: string,
): { name: string; password: string } {
  const flag = opts['newUserPassword'];
  if (typeof flag === 'string') return { name: arg, password: flag };
  const colon = arg.indexOf(':');
  if (colon < 0)
    throw new UsageError(
      `${command}: no password for ${JSON.stringify(arg)}: pass ${arg}:PASSWORD or --new-user-password PASSWORD (the CLI never prompts)`,
    );
  return { name: arg.slice(0, colon), password: arg.slice(colon + 1) };
}

function addUserCommands(program: Command, runner: Runner): void {
  const user = program
    .command('user')
    .description('user commands: add, delete, get, list, passwd, grant-role, revoke-role');
  user
    .command('add')
    .description('adds a user (name:password, or the name and --new-user-password)')
    .argument('<name[:password]>')
    .option('--new-user-password <password>', "the new user's password")
    .action((arg: string, opts: Opts, cmd: Command) =>
      simple(runner, cmd, 'user add', async (ctx) => {
        const { name, password } = nameAndPassword(arg, opts, 'user add');
        await ctx.api.post('/v3/auth/user/add', { name, password });
        return `User ${name} created`;
      }),
    );
  user
    .command('delete')
    .description('deletes a user')
    .argument('<name>')
    .action((name: string, _o: Opts, cmd: Command) =>
      simple(runner, cmd, 'user delete', async (ctx) => {
        await ctx.api.post('/v3/auth/user/delete', { name });
        return `User ${name} deleted`;
      }),
    );
  user
    .command('get')
    .description("prints a user's roles")
    .argument('<name>')
    .action((name: string, _o: Opts, cmd: Command) =>
      runner.bounded(cmd, 'user get', async (ctx) => {
        const res = await ctx.api.post('/v3/auth/user/get', { name });
        ctx.out(`User: ${name}`);
        ctx.out(
          `Roles:${list(res['roles'])
            .map((r) => ` ${r}`)
            .join('')}`,
        );
      }),
    );
  user
    .command('list')
    .description('lists the users')
    .action((_o: Opts, cmd: Command) =>
      runner.bounded(cmd, 'user list', async (ctx) => {
        for (const name of list((await ctx.api.post('/v3/auth/user/list'))['users'])) ctx.out(name);
      }),
    );
  user
    .command('passwd')
    .description("changes a user's password (its tokens stop working)")
    .argument('<name>')
    .requiredOption('--new-user-password <password>', 'the new password')
    .action((name: string, opts: Opts, cmd: Command) =>
      simple(runner, cmd, 'user passwd', async (ctx) => {
        await ctx.api.post('/v3/auth/user/changepw', {
          name,
          password: String(opts['newUserPassword']),
        });
        return 'Password updated';
      }),
    );
  user
    .command('grant-role')
    .description('grants a role to a user')
    .argument('<name>')
    .argument('<role>')
    .action((name: string, role: string, _o: Opts, cmd: Command) =>
      simple(runner, cmd, 'user grant-role', async (ctx) => {
        await ctx.api.post('/v3/auth/user/grant', { user: name, role });
        return `Role ${role} is granted to user ${name}`;
      }),
    );
  user
    .command('revoke-role')
    .description('revokes a role from a user (its tokens stop working)')
    .argument('<name>')
    .argument('<role>')
    .action((name: string, role: string, _o: Opts, cmd: Command) =>
      simple(runner, cmd, 'user revoke-role', async (ctx) => {
        await ctx.api.post('/v3/auth/user/revoke', { name, role });
        return `Role ${role} is revoked from user ${name}`;
      }),
    );
}

const PERM_TYPES = ['READ', 'WRITE', 'READWRITE'] as const;

/** key [endKey] with --prefix / --from-key, as etcdctl's role grant-permission and revoke-permission read them. */
export function permRange(
  key: string,
  end: string | undefined,
  opts: Opts,
  command: string,
): { key: string; rangeEnd: Buffer } {
  if (opts['prefix'] === true && opts['fromKey'] === true)
    throw new UsageError(`${command}: --prefix and --from-key cannot be used together`);
  if (end !== undefined && (opts['prefix'] === true || opts['fromKey'] === true))
    throw new UsageError(`${command}: an end key cannot be given with --prefix or --from-key`);
  if (opts['prefix'] === true) return { key, rangeEnd: Buffer.from(prefixEnd(Buffer.from(key))) };
  if (opts['fromKey'] === true) return { key, rangeEnd: Buffer.from([0]) };
  return { key, rangeEnd: Buffer.from(end ?? '') };
}

/** etcdctl's way of writing a range: [key, end) or [key, <open ended> (end is the single zero byte). */
function rangeOf(key: Buffer, rangeEnd: Buffer): string {
  return rangeEnd.equals(Buffer.from([0]))
    ? `[${key.toString()}, <open ended>`
    : `[${key.toString()}, ${rangeEnd.toString()})`;
}

/** etcdctl's way of writing a permission's range in role get. */
function rangeText(key: Buffer, rangeEnd: Buffer): string {
  if (rangeEnd.length === 0) return key.toString();
  const isPrefix = Buffer.from(prefixEnd(key)).equals(rangeEnd);
  return isPrefix ? `${rangeOf(key, rangeEnd)} (prefix ${key.toString()})` : rangeOf(key, rangeEnd);
}

interface WirePerm {
  permType?: string;
  key?: string;
  range_end?: string;
}

function printRole(ctx: CommandContext, role: string, perms: readonly WirePerm[]): void {
  ctx.out(`Role ${role}`);
  for (const [title, types] of [
    ['KV Read:', ['READ', 'READWRITE']],
    ['KV Write:', ['WRITE', 'READWRITE']],
  ] as const) {
    ctx.out(title);
    // proto3 JSON omits the default enum value: no permType is READ.
    for (const p of perms.filter((p) =>
      (types as readonly string[]).includes(p.permType ?? 'READ'),
    ))
      ctx.out(`\t${rangeText(unb64(p.key), unb64(p.range_end))}`);
  }
}

function addRoleCommands(program: Command, runner: Runner): void {
  const role = program
    .command('role')
    .description('role commands: add, delete, get, list, grant-permission, revoke-permission');
  role
    .command('add')
    .description('adds a role')
    .argument('<role>')
    .action((name: string, _o: Opts, cmd: Command) =>
      simple(runner, cmd, 'role add', async (ctx) => {
        await ctx.api.post('/v3/auth/role/add', { name });
        return `Role ${name} created`;
      }),
    );
  role
    .command('delete')
    .description('deletes a role')
    .argument('<role>')
    .action((name: string, _o: Opts, cmd: Command) =>
      simple(runner, cmd, 'role delete', async (ctx) => {
        await ctx.api.post('/v3/auth/role/delete', { role: name });
        return `Role ${name} deleted`;
      }),
    );
  role
    .command('get')
    .description("prints a role's permissions")
    .argument('<role>')
    .action((name: string, _o: Opts, cmd: Command) =>
      runner.bounded(cmd, 'role get', async (ctx) => {
        const res = await ctx.api.post('/v3/auth/role/get', { role: name });
        printRole(ctx, name, (res['perm'] as WirePerm[] | undefined) ?? []);
      }),
    );
  role
    .command('list')
    .description('lists the roles')
    .action((_o: Opts, cmd: Command) =>
      runner.bounded(cmd, 'role list', async (ctx) => {
        for (const name of list((await ctx.api.post('/v3/auth/role/list'))['roles'])) ctx.out(name);
      }),
    );
  role
    .command('grant-permission')
    .description(
      'grants read, write or readwrite on a key, a range [key, endKey), a prefix or keys >= key',
    )
    .argument('<role>')
    .argument('<type>', 'read, write or readwrite')
    .argument('<key>')
    .argument('[endKey]', 'end of the range (exclusive)')
    .option('--prefix', 'every key with the prefix key')
    .option('--from-key', 'every key >= key')
    .action(
      (
        name: string,
        type: string,
        key: string,
        end: string | undefined,
        opts: Opts,
        cmd: Command,
      ) =>
        simple(runner, cmd, 'role grant-permission', async (ctx) => {
          const permType = type.toUpperCase();
          if (!(PERM_TYPES as readonly string[]).includes(permType))
            throw new UsageError(
              `role grant-permission: the permission type must be read, write or readwrite, got ${JSON.stringify(type)}`,
            );
          const range = permRange(key, end, opts, 'role grant-permission');
          await ctx.api.post('/v3/auth/role/grant', {
            name,
            perm: { permType, key: b64(range.key), range_end: b64(range.rangeEnd) },
          });
          return `Role ${name} updated`;
        }),
    );
  role
    .command('revoke-permission')
    .description('revokes the permission on exactly this key or range (as granted)')
    .argument('<role>')
    .argument('<key>')
    .argument('[endKey]', 'end of the range (exclusive)')
    .option('--prefix', 'the permission granted with --prefix')
    .option('--from-key', 'the permission granted with --from-key')
    .action((name: string, key: string, end: string | undefined, opts: Opts, cmd: Command) =>
      simple(runner, cmd, 'role revoke-permission', async (ctx) => {
        const range = permRange(key, end, opts, 'role revoke-permission');
        await ctx.api.post('/v3/auth/role/revoke', {
          role: name,
          key: b64(range.key),
          range_end: b64(range.rangeEnd),
        });
        if (range.rangeEnd.length === 0)
          return `Permission of key ${key} is revoked from role ${name}`;
        return `Permission of range ${rangeOf(Buffer.from(key), range.rangeEnd)} is revoked from role ${name}`;
      }),
    );
}
