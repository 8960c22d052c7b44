import { describe, expect, it } from 'vitest';
import { KvStateMachine, type PutResponse } from '../src/index.js';
import { apply, k, openMemory, put } from './helpers.js';

describe('exactly-once writes', () => {
  it('a retried write (same client and seq) is not applied again and returns the original response', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', 'old'));
    const [first] = await apply(sm, { clientId: 'c1', seq: 1, cmd: put('a', 'new', { prevKv: true }) });
    await apply(sm, put('a', 'other'));
    const [retry] = await apply(sm, { clientId: 'c1', seq: 1, cmd: put('a', 'new', { prevKv: true }) });
    expect(retry).toEqual({ ...first, index: retry!.index, duplicate: true });
    expect((retry!.ok && (retry!.response as PutResponse).prevKv?.value)).toEqual(k('old'));
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
    await apply(sm, { clientId: 'a', seq: 1, cmd: put('x', '1') }, { clientId: 'b', seq: 1, cmd: put('x', '2') }, { clientId: 'c', seq: 1, cmd: put('x', '3') });
    // 'a' was evicted, so its retry is applied as new (documented limit); 'c' is still known.
    const [a, c] = await apply(sm, { clientId: 'a', seq: 1, cmd: put('x', '1') }, { clientId: 'c', seq: 1, cmd: put('x', '3') });
    expect([a!.duplicate ?? false, c!.duplicate ?? false]).toEqual([false, true]);
    await sm.applyEntries([{ index: sm.appliedIndex + 10, data: new Uint8Array(0) }]);
    const [c2] = await apply(sm, { clientId: 'c', seq: 1, cmd: put('x', '3') });
    expect(c2!.duplicate ?? false).toBe(false);
  });
});
