// The auth state machine: users, roles and permissions replicated as
// commands, checked at apply; deterministic, persisted and in snapshots.
import { describe, expect, it } from 'vitest';
import {
  encodeCommand,
  KvStateMachine,
  type AuthContext,
  type AuthRequest,
  type Command,
  type CommandEnvelope,
  type KvSnapshot,
  type RequestOp,
} from '../src/index.js';
import { apply, k, memoryDb, ok, openMemory, put } from './helpers.js';

const auth = (request: AuthRequest): Command => ({ op: 'auth', request });
const hash = (s: string): Uint8Array => k(`hash:${s}`);
const as = (ctx: AuthContext, cmd: Command): CommandEnvelope => ({ auth: ctx, cmd });

/** root (root role), alice with role `ab` = READWRITE [a, b), auth enabled. */
const SETUP: Command[] = [
  auth({ kind: 'userAdd', name: 'root', password: hash('r') }),
  auth({ kind: 'roleAdd', name: 'root' }),
  auth({ kind: 'userGrantRole', user: 'root', role: 'root' }),
  auth({ kind: 'userAdd', name: 'alice', password: hash('a') }),
  auth({ kind: 'roleAdd', name: 'ab' }),
  auth({
    kind: 'roleGrantPermission',
    name: 'ab',
    perm: { permType: 'READWRITE', key: k('a'), rangeEnd: k('b') },
  }),
  auth({ kind: 'userGrantRole', user: 'alice', role: 'ab' }),
  auth({ kind: 'enable', signingKey: new Uint8Array(32).fill(7) }),
];

async function setup(): Promise<KvStateMachine> {
  const { sm } = await openMemory();
  for (const cmd of SETUP) await ok(sm, cmd);
  return sm;
}

async function errorName(sm: KvStateMachine, cmd: Command | CommandEnvelope): Promise<string> {
  const [r] = await apply(sm, cmd);
  return r!.ok ? 'ok' : r!.error.name;
}

async function collect(snap: KvSnapshot): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of snap.chunks) chunks.push(c);
  return chunks;
}

async function* replay(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

describe('auth state', () => {
  it('enable needs a root user holding the root role (etcd errors)', async () => {
    const { sm } = await openMemory();
    const enable = auth({ kind: 'enable', signingKey: new Uint8Array(32) });
    expect(await errorName(sm, enable)).toBe('RootUserMissingError');
    await ok(sm, auth({ kind: 'userAdd', name: 'root', password: hash('r') }));
    expect(await errorName(sm, enable)).toBe('RootRoleMissingError');
    await ok(sm, auth({ kind: 'userGrantRole', user: 'root', role: 'root' })); // granting root needs no root role record, as etcd
    await ok(sm, enable);
    expect(sm.auth.enabled).toBe(true);
  });

  it('each change bumps the auth revision; refusals and no-ops change nothing', async () => {
    const sm = await setup();
    expect(sm.auth.revision).toBe(SETUP.length);
    expect(await errorName(sm, auth({ kind: 'userAdd', name: 'alice', password: hash('x') }))).toBe(
      'UserExistsError',
    );
    expect(await errorName(sm, auth({ kind: 'userAdd', name: '', password: hash('x') }))).toBe(
      'UserEmptyError',
    );
    expect(await errorName(sm, auth({ kind: 'userGrantRole', user: 'alice', role: 'nope' }))).toBe(
      'RoleNotFoundError',
    );
    expect(await errorName(sm, auth({ kind: 'userRevokeRole', name: 'alice', role: 'root' }))).toBe(
      'RoleNotGrantedError',
    );
    expect(
      await errorName(sm, auth({ kind: 'roleRevokePermission', role: 'ab', key: k('z') })),
    ).toBe('PermissionNotGrantedError');
    expect(await errorName(sm, auth({ kind: 'userDelete', name: 'root' }))).toBe(
      'InvalidAuthMgmtError',
    );
    expect(await errorName(sm, auth({ kind: 'roleDelete', role: 'root' }))).toBe(
      'InvalidAuthMgmtError',
    );
    expect(await errorName(sm, auth({ kind: 'userRevokeRole', name: 'root', role: 'root' }))).toBe(
      'InvalidAuthMgmtError',
    );
    await ok(sm, auth({ kind: 'userGrantRole', user: 'alice', role: 'ab' })); // already granted: no change
    expect(sm.auth.revision).toBe(SETUP.length);
    await ok(sm, auth({ kind: 'roleDelete', role: 'ab' }));
    expect(sm.auth.user('alice')!.roles).toEqual([]);
    expect(sm.auth.revision).toBe(SETUP.length + 1);
  });

  it('permissions: a key, a range [key, end), a prefix and "\\0" for every key from key', async () => {
    const sm = await setup();
    const view = sm.auth;
    expect(view.permitted('alice', 'READ', k('a'))).toBe(true);
    expect(view.permitted('alice', 'WRITE', k('az'), k('b'))).toBe(true);
    expect(view.permitted('alice', 'READ', k('c'))).toBe(false);
    expect(view.permitted('alice', 'READ', k('a'), k('c'))).toBe(false);
    expect(view.permitted('alice', 'READ', k('a'), new Uint8Array([0]))).toBe(false);
    await ok(
      sm,
      auth({
        kind: 'roleGrantPermission',
        name: 'ab',
        perm: { permType: 'READ', key: k('b'), rangeEnd: k('c') },
      }),
    );
    expect(view.permitted('alice', 'READ', k('a'), k('c'))).toBe(true); // [a,b) ∪ [b,c)
    expect(view.permitted('alice', 'WRITE', k('a'), k('c'))).toBe(false); // [b,c) is READ only
    await ok(
      sm,
      auth({
        kind: 'roleGrantPermission',
        name: 'ab',
        perm: { permType: 'WRITE', key: k('x'), rangeEnd: new Uint8Array([0]) },
      }),
    );
    expect(view.permitted('alice', 'WRITE', k('zzz'), new Uint8Array([0]))).toBe(true);
    expect(view.permitted('alice', 'READ', k('zzz'))).toBe(false);
    await ok(
      sm,
      auth({
        kind: 'roleGrantPermission',
        name: 'ab',
        perm: { permType: 'READ', key: k('single') },
      }),
    );
    expect(view.permitted('alice', 'READ', k('single'))).toBe(true);
    expect(view.permitted('alice', 'READ', k('single0'))).toBe(false);
    expect(view.permitted('root', 'WRITE', new Uint8Array([0]), new Uint8Array([0]))).toBe(true);
    expect(view.permitted('nobody', 'READ', k('a'))).toBe(false);
  });
});

describe('auth limits', () => {
  it('users, roles and permissions per role are bounded; a refusal changes nothing', async () => {
    const { sm } = await openMemory({ authUsersMax: 2, authRolesMax: 1, authRolePermsMax: 1 });
    await ok(sm, auth({ kind: 'userAdd', name: 'u1', password: hash('x') }));
    await ok(sm, auth({ kind: 'userAdd', name: 'u2', password: hash('x') }));
    expect(await errorName(sm, auth({ kind: 'userAdd', name: 'u3', password: hash('x') }))).toBe(
      'InvalidRequestError',
    );
    expect(await errorName(sm, auth({ kind: 'userAdd', name: 'u2', password: hash('x') }))).toBe(
      'UserExistsError',
    );
    await ok(sm, auth({ kind: 'roleAdd', name: 'r1' }));
    expect(await errorName(sm, auth({ kind: 'roleAdd', name: 'r2' }))).toBe('InvalidRequestError');
    await ok(
      sm,
      auth({ kind: 'roleGrantPermission', name: 'r1', perm: { permType: 'READ', key: k('a') } }),
    );
    await ok(
      sm,
      auth({ kind: 'roleGrantPermission', name: 'r1', perm: { permType: 'WRITE', key: k('a') } }),
    ); // same (key, rangeEnd): an update
    expect(
      await errorName(
        sm,
        auth({ kind: 'roleGrantPermission', name: 'r1', perm: { permType: 'READ', key: k('b') } }),
      ),
    ).toBe('InvalidRequestError');
    expect(sm.auth.userNames()).toEqual(['u1', 'u2']);
    expect(sm.auth.role('r1')!.perms.map((p) => p.permType)).toEqual(['WRITE']);
  });
});

describe('authorization at apply', () => {
  const alice: AuthContext = { user: 'alice', tokenRevision: SETUP.length };
  const root: AuthContext = { user: 'root', tokenRevision: SETUP.length };

  it('refuses what the user may not do, and applies nothing', async () => {
    const sm = await setup();
    const before = sm.revision;
    expect(await errorName(sm, as(alice, put('c', '1')))).toBe('PermissionDeniedError');
    expect(
      await errorName(
        sm,
        as(alice, { op: 'deleteRange', request: { key: k('a'), rangeEnd: k('c') } }),
      ),
    ).toBe('PermissionDeniedError');
    expect(await errorName(sm, as(alice, { op: 'compact', request: { revision: 1 } }))).toBe(
      'PermissionDeniedError',
    );
    expect(
      await errorName(sm, as(alice, auth({ kind: 'userAdd', name: 'eve', password: hash('e') }))),
    ).toBe('PermissionDeniedError');
    expect(sm.revision).toBe(before);
    expect(sm.auth.user('eve')).toBeUndefined();
    expect(await errorName(sm, as(alice, put('a1', '1')))).toBe('ok');
    expect(await errorName(sm, as(root, put('c', '1')))).toBe('ok');
  });

  it('a txn is refused whole when any branch (the else branch too) touches a forbidden key', async () => {
    const sm = await setup();
    const txn = (failure: RequestOp): CommandEnvelope =>
      as(alice, {
        op: 'txn',
        request: {
          compare: [{ key: k('a1'), target: 'VERSION', result: 'EQUAL', version: 0 }],
          success: [{ requestPut: { key: k('a1'), value: k('x') } }],
          failure: [failure],
        },
      });
    const before = sm.revision;
    expect(await errorName(sm, txn({ requestRange: { key: k('c') } }))).toBe(
      'PermissionDeniedError',
    );
    expect(
      await errorName(
        sm,
        txn({
          requestTxn: {
            compare: [],
            success: [{ requestDeleteRange: { key: k('z') } }],
            failure: [],
          },
        }),
      ),
    ).toBe('PermissionDeniedError');
    expect(sm.revision).toBe(before);
    expect(await errorName(sm, txn({ requestRange: { key: k('a2') } }))).toBe('ok');
  });

  it('leases: attaching to a lease that holds a forbidden key, and revoking it, are refused', async () => {
    const sm = await setup();
    await ok(sm, { op: 'leaseGrant', request: { id: 5, ttl: 60 } });
    await ok(sm, as(root, put('c', 'v', { lease: 5 })));
    expect(await errorName(sm, as(alice, put('a1', 'v', { lease: 5 })))).toBe(
      'PermissionDeniedError',
    );
    expect(await errorName(sm, as(alice, { op: 'leaseRevoke', request: { id: 5 } }))).toBe(
      'PermissionDeniedError',
    );
    expect(sm.leaseList().map((l) => l.id)).toEqual([5]);
    expect(await errorName(sm, as(alice, { op: 'leaseGrant', request: { id: 6, ttl: 60 } }))).toBe(
      'ok',
    );
    expect(await errorName(sm, as(alice, put('a1', 'v', { lease: 6 })))).toBe('ok');
  });

  it('a token issued before a user was deleted, re-added, lost a role or changed password is refused', async () => {
    const sm = await setup();
    await ok(sm, auth({ kind: 'userChangePassword', name: 'alice', password: hash('new') }));
    expect(await errorName(sm, as(alice, put('a1', '1')))).toBe('InvalidAuthTokenError');
    const fresh = { user: 'alice', tokenRevision: sm.auth.revision };
    expect(await errorName(sm, as(fresh, put('a1', '1')))).toBe('ok');
    await ok(sm, auth({ kind: 'userDelete', name: 'alice' }));
    expect(await errorName(sm, as(fresh, put('a1', '2')))).toBe('InvalidAuthTokenError');
    await ok(sm, auth({ kind: 'userAdd', name: 'alice', password: hash('a') }));
    await ok(sm, auth({ kind: 'userGrantRole', user: 'alice', role: 'ab' }));
    expect(await errorName(sm, as(fresh, put('a1', '3')))).toBe('InvalidAuthTokenError');
    const third = { user: 'alice', tokenRevision: sm.auth.revision };
    await ok(sm, auth({ kind: 'userRevokeRole', name: 'alice', role: 'ab' }));
    expect(await errorName(sm, as(third, put('a1', '4')))).toBe('InvalidAuthTokenError');
  });

  it('exactly-once results are kept per user: another user reusing a client id and seq does not get them', async () => {
    const sm = await setup();
    await ok(sm, put('c', 'secret'));
    const read: Command = {
      op: 'txn',
      request: { compare: [], success: [{ requestRange: { key: k('c') } }], failure: [] },
    };
    const [first] = await apply(sm, { clientId: 'shared', seq: 1, auth: root, cmd: read });
    expect(first!.ok).toBe(true);
    const [replay] = await apply(sm, {
      clientId: 'shared',
      seq: 1,
      auth: alice,
      cmd: put('a1', 'x'),
    });
    expect(replay!.duplicate).toBeUndefined();
    expect(replay!.ok).toBe(true);
    expect(JSON.stringify(replay)).not.toContain('secret');
  });

  it('a network caller without a user is refused while auth is on; in-process callers are not checked', async () => {
    const sm = await setup();
    expect(await errorName(sm, as({}, put('a1', '1')))).toBe('UserEmptyError');
    expect(await errorName(sm, put('c', '1'))).toBe('ok');
    await ok(sm, as(root, auth({ kind: 'disable' })));
    expect(await errorName(sm, as({}, put('c', '2')))).toBe('ok');
  });
});

describe('auth state is replicated state', () => {
  it('persists across reopen and travels in snapshots; replicas fed the same entries are byte-identical', async () => {
    const db = memoryDb();
    const a = await KvStateMachine.open(db);
    const { sm: b } = await openMemory();
    for (const cmd of SETUP) await ok(a, cmd);
    // b gets the same entries in one batch
    await b.applyEntries(SETUP.map((cmd, i) => ({ index: i + 1, data: encodeCommand({ cmd }) })));
    const snapA = Buffer.concat(await collect(await a.snapshot()));
    expect(Buffer.concat(await collect(await b.snapshot()))).toEqual(snapA);

    const reopened = await KvStateMachine.open(db);
    expect(reopened.auth.enabled).toBe(true);
    expect(reopened.auth.user('alice')).toEqual(a.auth.user('alice'));
    expect(reopened.auth.role('ab')).toEqual(a.auth.role('ab'));
    expect(reopened.auth.revision).toBe(a.auth.revision);
    expect([...reopened.auth.signingKey]).toEqual([...a.auth.signingKey]);

    const { sm: copy } = await openMemory();
    await copy.restore(replay(await collect(await a.snapshot())));
    expect(copy.auth.userNames()).toEqual(['alice', 'root']);
    expect(copy.auth.roleNames()).toEqual(['ab', 'root']);
    expect(copy.auth.permitted('alice', 'WRITE', k('a1'))).toBe(true);
    expect(Buffer.concat(await collect(await copy.snapshot()))).toEqual(snapA);
  });
});
