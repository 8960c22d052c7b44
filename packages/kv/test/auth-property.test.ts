// Determinism of the auth state machine under random command sequences: the
// same entries give the same results and byte-identical snapshots whatever
// the batching, after a reopen, and after a snapshot restore.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeCommand,
  KvStateMachine,
  type AuthRequest,
  type Command,
  type CommandEnvelope,
  type KvSnapshot,
} from '../src/index.js';
import { k, memoryDb, openMemory } from './helpers.js';

const name = fc.constantFrom('root', 'alice', 'alice', '');
const role = fc.constantFrom('root', 'r1');
const key = fc.constantFrom('a', 'b', 'c', 'ab');
const end = fc.option(fc.constantFrom('b', 'd', '\0'), { nil: undefined });
const bytesOf = (s: string): Uint8Array => (s === '\0' ? new Uint8Array([0]) : k(s));

const authRequest: fc.Arbitrary<AuthRequest> = fc.oneof(
  fc.constant<AuthRequest>({ kind: 'enable', signingKey: new Uint8Array(32).fill(1) }),
  fc.constant<AuthRequest>({ kind: 'disable' }),
  name.map<AuthRequest>((n) => ({ kind: 'userAdd', name: n, password: k(`h:${n}`) })),
  name.map<AuthRequest>((n) => ({ kind: 'userDelete', name: n })),
  name.map<AuthRequest>((n) => ({ kind: 'userChangePassword', name: n, password: k('h2') })),
  fc.tuple(name, role).map<AuthRequest>(([user, r]) => ({ kind: 'userGrantRole', user, role: r })),
  fc.tuple(name, role).map<AuthRequest>(([n, r]) => ({ kind: 'userRevokeRole', name: n, role: r })),
  role.map<AuthRequest>((r) => ({ kind: 'roleAdd', name: r })),
  role.map<AuthRequest>((r) => ({ kind: 'roleDelete', role: r })),
  fc
    .tuple(role, fc.constantFrom('READ', 'WRITE', 'READWRITE' as const), key, end)
    .map<AuthRequest>(([r, permType, kk, e]) => ({
      kind: 'roleGrantPermission',
      name: r,
      perm: { permType, key: k(kk), ...(e ? { rangeEnd: bytesOf(e) } : {}) },
    })),
  fc.tuple(role, key, end).map<AuthRequest>(([r, kk, e]) => ({
    kind: 'roleRevokePermission',
    role: r,
    key: k(kk),
    ...(e ? { rangeEnd: bytesOf(e) } : {}),
  })),
);

/** Auth changes mixed with writes by users (so apply-time checks run too). */
const entry: fc.Arbitrary<CommandEnvelope> = fc.oneof(
  {
    weight: 3,
    arbitrary: authRequest.map((request) => ({ cmd: { op: 'auth', request } as Command })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(name, key, fc.nat(8)).map(([user, kk, rev]) => ({
      auth: { user, tokenRevision: rev },
      cmd: { op: 'put', request: { key: k(kk), value: k('v') } } as Command,
    })),
  },
);

async function chunksOf(sm: KvStateMachine): Promise<Uint8Array[]> {
  const snap: KvSnapshot = await sm.snapshot();
  const chunks: Uint8Array[] = [];
  for await (const c of snap.chunks) chunks.push(c);
  return chunks;
}

const bytesOfSnapshot = async (sm: KvStateMachine): Promise<Buffer> =>
  Buffer.concat(await chunksOf(sm));

async function* replay(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

const a = (request: AuthRequest): CommandEnvelope => ({ cmd: { op: 'auth', request } });
/** Sequences the random search may take long to hit: a role deleted while users hold it, a user deleted and re-added. */
const EXAMPLES: [CommandEnvelope[], number][] = [
  [
    [
      a({ kind: 'roleAdd', name: 'r1' }),
      a({ kind: 'userAdd', name: 'alice', password: k('h') }),
      a({ kind: 'userGrantRole', user: 'alice', role: 'r1' }),
      a({ kind: 'roleDelete', role: 'r1' }),
    ],
    1,
  ],
  [
    [
      a({ kind: 'userAdd', name: 'root', password: k('h') }),
      a({ kind: 'userGrantRole', user: 'root', role: 'root' }),
      a({ kind: 'enable', signingKey: new Uint8Array(32) }),
      a({ kind: 'userDelete', name: 'alice' }),
      a({ kind: 'userAdd', name: 'alice', password: k('h2') }),
      a({ kind: 'disable' }),
    ],
    2,
  ],
];

describe('auth state machine determinism (property)', () => {
  it('results and snapshots do not depend on batching, reopening or restoring', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        async (entries, batchSize) => {
          const data = entries.map((e, i) => ({ index: i + 1, data: encodeCommand(e) }));
          const db = memoryDb();
          const one = await KvStateMachine.open(db);
          const byOne = [];
          for (const d of data) byOne.push(...(await one.applyEntries([d])));
          const { sm: batched } = await openMemory();
          const byBatch = [];
          for (let i = 0; i < data.length; i += batchSize)
            byBatch.push(...(await batched.applyEntries(data.slice(i, i + batchSize))));
          expect(byBatch).toEqual(byOne);
          const snap = await bytesOfSnapshot(one);
          expect(await bytesOfSnapshot(batched)).toEqual(snap);
          const reopened = await KvStateMachine.open(db);
          expect(await bytesOfSnapshot(reopened)).toEqual(snap);
          const { sm: restored } = await openMemory();
          await restored.restore(replay(await chunksOf(one)));
          for (const view of [reopened.auth, restored.auth]) {
            expect({
              enabled: view.enabled,
              revision: view.revision,
              users: view.userNames(),
              roles: view.roleNames(),
            }).toEqual({
              enabled: one.auth.enabled,
              revision: one.auth.revision,
              users: one.auth.userNames(),
              roles: one.auth.roleNames(),
            });
            for (const u of one.auth.userNames()) expect(view.user(u)).toEqual(one.auth.user(u));
            for (const r of one.auth.roleNames()) expect(view.role(r)).toEqual(one.auth.role(r));
          }
        },
      ),
      { numRuns: 150, examples: EXAMPLES },
    );
  });
});
