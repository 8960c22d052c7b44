import { describe, expect, it } from 'vitest';
import { KvStateMachine, type PutResponse } from '../src/index.js';
import { apply, k, openMemory, put } from './helpers.js';

const REGISTER = { op: 'register' } as const;

describe('exactly-once writes', () => {
  it('a retried write (same client and seq) is not applied again and returns the original response', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', 'old'));
    const [first] = await apply(sm, {
      clientId: 'c1',
      seq: 1,
      cmd: put('a', 'new', { prevKv: true }),
    });
    await apply(sm, put('a', 'other'));
    const [retry] = await apply(sm, {
      clientId: 'c1',
      seq: 1,
      cmd: put('a', 'new', { prevKv: true }),
    });
    expect(retry).toEqual({ ...first, index: retry!.index, duplicate: true });
    expect(retry!.ok && (retry!.response as PutResponse).prevKv?.value).toEqual(k('old'));
    expect(sm.revision).toBe(4);
  });

  it('remembers error results too, and refuses a sequence older than the last one', async () => {
    const { sm } = await openMemory();
    const [e1] = await apply(sm, { clientId: 'c', seq: 1, cmd: put('a', '1', { lease: 42 }) });
    await apply(sm, { clientId: 'c', seq: 2, cmd: put('a', '1') });
    const [stale] = await apply(sm, { clientId: 'c', seq: 1, cmd: put('a', '1', { lease: 42 }) });
    expect(e1!.ok ? '' : e1!.error.name).toBe('LeaseNotFoundError');
    expect(stale!.ok ? '' : stale!.error.name).toBe('StaleSequenceError');
  });

  it('the client table survives a restart and a snapshot restore', async () => {
    const { sm, db } = await openMemory();
    const [orig] = await apply(sm, { clientId: 'c', seq: 5, cmd: put('a', '1') });
    const reopened = await KvStateMachine.open(db);
    const [dup] = await apply(reopened, { clientId: 'c', seq: 5, cmd: put('a', '1') });
    expect(dup).toEqual({ ...orig, index: dup!.index, duplicate: true });
    const snap = await reopened.snapshot();
    const { sm: other } = await openMemory();
    await other.restore(snap.chunks);
    const [dup2] = await apply(other, { clientId: 'c', seq: 5, cmd: put('a', '1') });
    expect(dup2!.duplicate).toBe(true);
    expect(other.revision).toBe(2);
  });

  it('the table is bounded: the least recently used client beyond clientsMax and idle clients are forgotten', async () => {
    const { sm } = await openMemory({ clientsMax: 2, clientIdleEntriesMax: 5 });
    await apply(
      sm,
      { clientId: 'a', seq: 1, cmd: REGISTER },
      { clientId: 'b', seq: 1, cmd: REGISTER },
      { clientId: 'c', seq: 1, cmd: REGISTER },
    );
    // 'a' was evicted: its register is applied again (harmless, it is new again); 'c' is still known.
    const [a, c] = await apply(
      sm,
      { clientId: 'a', seq: 1, cmd: REGISTER },
      { clientId: 'c', seq: 1, cmd: REGISTER },
    );
    expect([a!.duplicate ?? false, c!.duplicate ?? false]).toEqual([false, true]);
    await sm.applyEntries([{ index: sm.appliedIndex + 10, data: new Uint8Array(0) }]);
    const [c2] = await apply(sm, { clientId: 'c', seq: 1, cmd: REGISTER });
    expect(c2!.duplicate ?? false).toBe(false);
    expect(sm.revision).toBe(1);
  });

  it('register (seq 1) changes no key and no revision, and is remembered like a write', async () => {
    const { sm } = await openMemory();
    const [reg] = await apply(sm, { clientId: 'c', seq: 1, cmd: REGISTER });
    expect(reg!.ok).toBe(true);
    expect(sm.revision).toBe(1);
    const [dup] = await apply(sm, { clientId: 'c', seq: 1, cmd: REGISTER });
    expect(dup!.duplicate).toBe(true);
    const [write] = await apply(sm, { clientId: 'c', seq: 2, cmd: put('a', '1') });
    expect(write!.ok).toBe(true);
    expect(sm.revision).toBe(2);
    const [late] = await apply(sm, { clientId: 'c', seq: 1, cmd: REGISTER });
    expect(late!.ok ? '' : late!.error.name).toBe('StaleSequenceError');
  });

  it('register needs a clientId and seq 1', async () => {
    const { sm } = await openMemory();
    const [noId] = await apply(sm, { cmd: REGISTER });
    const [seq2] = await apply(sm, { clientId: 'c', seq: 2, cmd: REGISTER });
    for (const r of [noId, seq2]) {
      expect(r!.ok ? '' : r!.error.name).toBe('InvalidRequestError');
      expect(r!.ok ? '' : r!.error.message).toContain('seq 1');
    }
  });

  describe('after eviction (bug: a retry of an evicted client was applied twice)', () => {
    const snapshotBytes = async (sm: KvStateMachine): Promise<Buffer> => {
      const snap = await sm.snapshot();
      const parts: Uint8Array[] = [];
      for await (const chunk of snap.chunks) parts.push(chunk);
      await snap.close();
      return Buffer.concat(parts);
    };

    it('an evicted client retrying its last write gets SessionExpiredError and nothing is applied again', async () => {
      const { sm } = await openMemory({ clientsMax: 2 });
      await apply(
        sm,
        { clientId: 'a', seq: 1, cmd: put('x', 'a1') },
        { clientId: 'a', seq: 2, cmd: put('x', 'a2') },
      );
      await apply(
        sm,
        { clientId: 'b', seq: 1, cmd: put('y', 'b') },
        { clientId: 'c', seq: 1, cmd: put('y', 'c') },
      );
      const revision = sm.revision;
      const [retry] = await apply(sm, { clientId: 'a', seq: 2, cmd: put('x', 'a2') });
      expect(retry!.ok).toBe(false);
      expect(retry!.ok ? '' : retry!.error.name).toBe('SessionExpiredError');
      expect(retry!.ok ? '' : retry!.error.message).toContain('start a new client id');
      expect(sm.revision).toBe(revision);
      // It stays refused (the refusal does not make the id known), and a new id starting at seq 1 works.
      const [again] = await apply(sm, { clientId: 'a', seq: 3, cmd: put('x', 'a3') });
      expect(again!.ok ? '' : again!.error.name).toBe('SessionExpiredError');
      const [registered, fresh] = await apply(
        sm,
        { clientId: 'a2', seq: 1, cmd: REGISTER },
        { clientId: 'a2', seq: 2, cmd: put('x', 'a3') },
      );
      expect(registered!.ok && fresh!.ok).toBe(true);
      expect(sm.revision).toBe(revision + 1);
    });

    it('an evicted client retrying its first write is not applied twice: an unknown id at seq 1 must register (bug: seq 1 looked new)', async () => {
      const { sm } = await openMemory({ clientsMax: 1 });
      // Without registering: 'a's first write at seq 1 is applied, then 'a' is evicted and retries it.
      await apply(
        sm,
        { clientId: 'a', seq: 1, cmd: put('x', 'a1') },
        { clientId: 'b', seq: 1, cmd: REGISTER },
      );
      const revision = sm.revision;
      const [retry] = await apply(sm, { clientId: 'a', seq: 1, cmd: put('x', 'a1') });
      expect(retry!.ok ? '' : retry!.error.name).toBe('SessionExpiredError');
      expect(retry!.ok ? '' : retry!.error.message).toContain('register');
      expect(sm.revision).toBe(revision);
      // Registered: 'c's first write (seq 2) is applied once, and its retry after eviction is refused.
      await apply(
        sm,
        { clientId: 'c', seq: 1, cmd: REGISTER },
        { clientId: 'c', seq: 2, cmd: put('y', 'c2') },
        { clientId: 'd', seq: 1, cmd: REGISTER },
      );
      const [retryC] = await apply(sm, { clientId: 'c', seq: 2, cmd: put('y', 'c2') });
      expect(retryC!.ok ? '' : retryC!.error.name).toBe('SessionExpiredError');
      expect(sm.revision).toBe(revision + 1);
      // An evicted client's register is applied again (a no-op), and its session goes on.
      const [again, next] = await apply(
        sm,
        { clientId: 'c', seq: 1, cmd: REGISTER },
        { clientId: 'c', seq: 3, cmd: put('y', 'c3') },
      );
      expect(again!.ok && next!.ok).toBe(true);
    });

    it('an idle-evicted client is refused the same way', async () => {
      const { sm } = await openMemory({ clientIdleEntriesMax: 5 });
      await apply(sm, { clientId: 'a', seq: 7, cmd: put('x', '1') });
      await sm.applyEntries([{ index: sm.appliedIndex + 10, data: new Uint8Array(0) }]);
      const [retry] = await apply(sm, { clientId: 'a', seq: 7, cmd: put('x', '1') });
      expect(retry!.ok ? '' : retry!.error.name).toBe('SessionExpiredError');
      expect(sm.revision).toBe(2);
    });

    it('an unknown client at seq > 1 is accepted while no client was ever evicted (it cannot be an evicted one)', async () => {
      const { sm } = await openMemory({ clientsMax: 2 });
      const [first] = await apply(sm, { clientId: 'a', seq: 4, cmd: put('x', '1') });
      expect(first!.ok).toBe(true);
      expect(sm.revision).toBe(2);
    });

    it('the eviction floor is replicated state: kept across a restart and a snapshot, byte-identical on replicas', async () => {
      const limits = { clientsMax: 1 };
      const entries = [
        { clientId: 'a', seq: 1, cmd: put('x', '1') },
        { clientId: 'a', seq: 2, cmd: put('x', '2') },
        { clientId: 'b', seq: 1, cmd: put('x', '3') },
      ];
      const { sm, db } = await openMemory(limits);
      const { sm: replica } = await openMemory(limits);
      await apply(sm, ...entries);
      await apply(replica, ...entries);
      expect(await snapshotBytes(replica)).toEqual(await snapshotBytes(sm));
      const reopened = await KvStateMachine.open(db, { limits });
      const [afterRestart] = await apply(reopened, { clientId: 'a', seq: 2, cmd: put('x', '2') });
      expect(afterRestart!.ok ? '' : afterRestart!.error.name).toBe('SessionExpiredError');
      const { sm: restored } = await openMemory(limits);
      await restored.restore((await sm.snapshot()).chunks);
      const [afterRestore] = await apply(restored, { clientId: 'a', seq: 2, cmd: put('x', '2') });
      expect(afterRestore!.ok ? '' : afterRestore!.error.name).toBe('SessionExpiredError');
      expect(restored.revision).toBe(4);
    });
  });
});
