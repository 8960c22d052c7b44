// etcdctl's --user name[:password] and --password (and FLOTILLA_USER / FLOTILLA_PASSWORD),
// and the key ranges of role grant-permission / revoke-permission.
import { describe, expect, it } from 'vitest';
import { cliAuthOf } from '../src/cli/client-auth.js';
import { permRange } from '../src/cli/cmd-auth.js';
import { UsageError } from '../src/cli/errors.js';
import { resolveGlobals } from '../src/cli/globals.js';

describe('--user and --password', () => {
  it('splits name:password at the first colon, as etcdctl does', () => {
    expect(cliAuthOf('alice:pa:ss', undefined)).toEqual({ user: 'alice', password: 'pa:ss' });
    expect(cliAuthOf('alice:', undefined)).toEqual({ user: 'alice', password: '' });
  });

  it('with --password, the whole --user value is the name', () => {
    expect(cliAuthOf('al:ice', 'pw')).toEqual({ user: 'al:ice', password: 'pw' });
  });

  it('refuses a user without a password (the CLI never prompts), a password without a user, and an empty name', () => {
    expect(() => cliAuthOf('alice', undefined)).toThrow(UsageError);
    expect(() => cliAuthOf(undefined, 'pw')).toThrow(/--password needs --user/);
    expect(() => cliAuthOf(':pw', undefined)).toThrow(/empty/);
    expect(cliAuthOf(undefined, undefined)).toBeUndefined();
  });

  it('takes FLOTILLA_USER / FLOTILLA_PASSWORD, flags first', () => {
    expect(resolveGlobals({}, { FLOTILLA_USER: 'bob', FLOTILLA_PASSWORD: 'x' }).auth).toEqual({
      user: 'bob',
      password: 'x',
    });
    expect(resolveGlobals({ user: 'carol:y' }, { FLOTILLA_USER: 'bob' }).auth).toEqual({
      user: 'carol',
      password: 'y',
    });
    expect(resolveGlobals({}, {}).auth).toBeUndefined();
  });
});

describe('permission ranges', () => {
  const text = (r: { key: string; rangeEnd: Buffer }): [string, string] => [
    r.key,
    r.rangeEnd.toString('latin1'),
  ];

  it('is one key, [key, end), a prefix or keys >= key', () => {
    expect(text(permRange('k', undefined, {}, 'c'))).toEqual(['k', '']);
    expect(text(permRange('a', 'c', {}, 'c'))).toEqual(['a', 'c']);
    expect(text(permRange('app/', undefined, { prefix: true }, 'c'))).toEqual(['app/', 'app0']);
    expect(text(permRange('z', undefined, { fromKey: true }, 'c'))).toEqual(['z', '\0']);
    // etcd's prefix end of the empty prefix: every key.
    expect(text(permRange('', undefined, { prefix: true }, 'c'))).toEqual(['', '\0']);
  });

  it('refuses an end key with --prefix or --from-key, and both flags together', () => {
    expect(() => permRange('a', 'b', { prefix: true }, 'c')).toThrow(UsageError);
    expect(() => permRange('a', undefined, { prefix: true, fromKey: true }, 'c')).toThrow(
      UsageError,
    );
  });
});
