import { describe, expect, it } from 'vitest';
import { MemoryLevel } from 'memory-level';
import { type Command, KvStateMachine } from '../src/index.js';
import { apply, grant, k, ok, openMemory, put } from './helpers.js';

const REGISTER = { op: 'register' } as const;

// Written for a mutant that survived `pnpm mutation kv` (docs/testing.md,
// "Mutation testing"): apply.ts turning ANY exception of a command into that
// command's error answer. Only KvErrors are answers; anything else (here a
// failing disk read) is local to this replica and must stop the apply, or one
// replica would record an answer the others never gave.

/** abstract-level's internal multi-get, which every sublevel read ends in (not in its public types). */
interface GetManyHook {
  _getMany(keys: string[], options: object): Promise<(string | undefined)[]>;
}

/** A MemoryLevel whose reads fail once `failReads()` is called: a disk that errors. */
function flakyLevel(): { db: MemoryLevel<string, string>; failReads: () => void } {
  const db = new MemoryLevel<string, string>();
  const hook = db as unknown as GetManyHook;
  const getMany = hook._getMany.bind(db);
  let failing = false;
  hook._getMany = async (keys, options) => {
    if (failing) throw new Error('EIO: disk read failed');
    return getMany(keys, options);
  };
  return { db, failReads: () => (failing = true) };
}

describe('an I/O error during apply', () => {
  it("rejects applyEntries instead of becoming the command's error answer", async () => {
    const { db, failReads } = flakyLevel();
    const sm = await KvStateMachine.open(db);
    await apply(sm, put('a', 'old'));
    failReads();
    await expect(apply(sm, put('a', 'new', { prevKv: true }))).rejects.toThrow(/EIO/);
  });
});

// Written for further survivors of `pnpm mutation kv`: the answers of commands
// that change no key, and which commands the exactly-once table tracks.
describe('answers of commands that change no key', () => {
  it('auth, member, register, lease revoke and lease checkpoint answer with the current revision', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '1'), put('b', '2'), grant(7, 60));
    const header = { header: { revision: 3 } };
    const auth: Command = {
      op: 'auth',
      request: { kind: 'userAdd', name: 'u', password: k('hash') },
    };
    expect(await ok(sm, auth)).toEqual(header);
    expect(sm.auth.user('u')).toBeDefined();
    const member: Command = { op: 'member', request: { kind: 'set', id: 9, name: 'nine' } };
    expect(await ok(sm, member)).toEqual(header);
    expect(sm.members.get(9)?.name).toBe('nine');
    expect(await ok(sm, { clientId: 'c', seq: 1, cmd: { op: 'register' } })).toEqual(header);
    const checkpoint: Command = {
      op: 'leaseCheckpoint',
      request: { checkpoints: [{ id: 7, remainingTtl: 30 }] },
    };
    expect(await ok(sm, checkpoint)).toEqual(header);
    expect(await ok(sm, { op: 'leaseRevoke', request: { id: 7 } })).toEqual(header);
  });
});

describe('the exactly-once table holds only commands that carry a client id', () => {
  it('a command without a client id is neither refused as expired nor recorded', async () => {
    const { sm } = await openMemory({ clientsMax: 1 });
    await apply(sm, { clientId: 'a', seq: 1, cmd: REGISTER });
    await apply(sm, { clientId: 'b', seq: 1, cmd: REGISTER }); // evicts 'a': the table has forgotten a client
    const [anonymous] = await apply(sm, put('x', '1'));
    expect(anonymous!.ok).toBe(true);
    // Had the anonymous write been recorded, it would have taken 'b's place in the table.
    const [write] = await apply(sm, { clientId: 'b', seq: 2, cmd: put('y', '1') });
    expect(write!.ok ? 'ok' : write!.error.name).toBe('ok');
    const [retry] = await apply(sm, { clientId: 'b', seq: 2, cmd: put('y', '1') });
    expect(retry!.duplicate).toBe(true);
  });

  it("an in-process caller's client id and the same id used by a user are separate clients", async () => {
    const { sm } = await openMemory();
    // A user whose name is the text an absent user would print as.
    for (const request of [
      { kind: 'userAdd', name: 'root', password: k('hash') },
      { kind: 'roleAdd', name: 'root' },
      { kind: 'userGrantRole', user: 'root', role: 'root' },
      { kind: 'userAdd', name: 'undefined', password: k('hash') },
      { kind: 'userGrantRole', user: 'undefined', role: 'root' },
      { kind: 'enable', signingKey: new Uint8Array(32).fill(7) },
    ] as const)
      await ok(sm, { op: 'auth', request });
    const as = { user: 'undefined', tokenRevision: sm.auth.revision };
    await apply(
      sm,
      { clientId: 'c', seq: 1, cmd: REGISTER },
      { clientId: 'c', seq: 2, cmd: put('a', '1') },
    );
    const [register, write] = await apply(
      sm,
      { clientId: 'c', seq: 1, auth: as, cmd: REGISTER },
      { clientId: 'c', seq: 2, auth: as, cmd: put('a', '2') },
    );
    expect([register!.duplicate ?? false, write!.duplicate ?? false]).toEqual([false, false]);
    expect(write!.ok).toBe(true);
    expect((await sm.range({ key: k('a') })).kvs[0]!.value).toEqual(k('2'));
  });
});
