import { describe, expect, it } from 'vitest';
import {
  LeaseNotFoundError,
  LeaseTracker,
  text,
  type LeaseExpireResponse,
  type LeaseGrantResponse,
} from '../src/index.js';
import { apply, grant, k, ok, openMemory, put } from './helpers.js';

describe('leases in the state machine', () => {
  it('grant takes the leader-chosen id, or derives one from the entry index, stepping past taken ids', async () => {
    const { sm } = await openMemory();
    const a = await ok<LeaseGrantResponse>(sm, grant(2, 30)); // index 1
    const b = await ok<LeaseGrantResponse>(sm, grant(0, 30)); // index 2: 2 is taken → 3
    const [c] = await apply(sm, grant(2, 30));
    expect([a.id, b.id]).toEqual([2, 3]);
    expect(c!.ok ? '' : c!.error.name).toBe('LeaseExistsError');
    expect(sm.leaseList()).toEqual([
      { id: 2, ttl: 30 },
      { id: 3, ttl: 30 },
    ]);
  });

  it('a TTL below leaseTtlMinSeconds is raised to it; above leaseTtlMaxSeconds is refused', async () => {
    const { sm } = await openMemory({ leaseTtlMinSeconds: 5, leaseTtlMaxSeconds: 100 });
    expect((await ok<LeaseGrantResponse>(sm, grant(1, 1))).ttl).toBe(5);
    const [r] = await apply(sm, grant(2, 101));
    expect(r!.ok ? '' : r!.error.name).toBe('InvalidRequestError');
  });

  it('revoke deletes every attached key in one revision; time to live lists the keys', async () => {
    const { sm } = await openMemory();
    await apply(
      sm,
      grant(9, 60),
      put('b', '1', { lease: 9 }),
      put('a', '1', { lease: 9 }),
      put('c', '1'),
    );
    const ttl = sm.leaseTimeToLive(9, true);
    expect([ttl.grantedTtl, ttl.keys.map(text)]).toEqual([60, ['a', 'b']]);
    const before = sm.revision;
    await ok(sm, { op: 'leaseRevoke', request: { id: 9 } });
    expect(sm.revision).toBe(before + 1);
    expect(
      (await sm.range({ key: k('a'), rangeEnd: new Uint8Array([0]) })).kvs.map((kv) =>
        text(kv.key),
      ),
    ).toEqual(['c']);
    expect(() => sm.leaseTimeToLive(9)).toThrow(LeaseNotFoundError);
    const [again] = await apply(sm, { op: 'leaseRevoke', request: { id: 9 } });
    expect(again!.ok ? '' : again!.error.name).toBe('LeaseNotFoundError');
  });

  it('moving a key to another lease or deleting it detaches it from the old lease', async () => {
    const { sm } = await openMemory();
    await apply(
      sm,
      grant(1, 60),
      grant(2, 60),
      put('a', '1', { lease: 1 }),
      put('a', '2', { lease: 2 }),
      put('b', '1', { lease: 1 }),
      { op: 'deleteRange', request: { key: k('b') } },
    );
    expect(sm.leaseTimeToLive(1, true).keys).toEqual([]);
    expect(sm.leaseTimeToLive(2, true).keys.map(text)).toEqual(['a']);
  });

  it('leaseExpire (decided by the leader) revokes each known lease in its own revision and skips unknown ids', async () => {
    const { sm } = await openMemory();
    await apply(
      sm,
      grant(1, 5),
      grant(2, 5),
      put('x', '1', { lease: 1 }),
      put('y', '1', { lease: 2 }),
    );
    const r = await ok<LeaseExpireResponse>(sm, { op: 'leaseExpire', request: { ids: [2, 7, 1] } });
    expect(r).toEqual({ header: { revision: 5 }, revoked: [2, 1] });
    expect(sm.leaseList()).toEqual([]);
  });

  it('a checkpoint records the remaining TTL (capped at the granted TTL) for time-to-live', async () => {
    const { sm } = await openMemory();
    await apply(sm, grant(1, 10), {
      op: 'leaseCheckpoint',
      request: {
        checkpoints: [
          { id: 1, remainingTtl: 4 },
          { id: 8, remainingTtl: 3 },
        ],
      },
    });
    expect(sm.leaseTimeToLive(1).checkpointTtl).toBe(4);
  });
});

describe('LeaseTracker (leader-side clocks)', () => {
  it('reports leases past their deadline; keep-alive pushes the deadline out by the TTL', () => {
    const t = new LeaseTracker();
    t.track(1, 10, 0);
    t.track(2, 5, 0);
    expect(t.expired(4_999)).toEqual([]);
    expect(t.keepAlive(2, 4_000)).toBe(5);
    expect(t.expired(5_000)).toEqual([]);
    expect(t.remainingMs(2, 5_000)).toBe(4_000);
    expect(t.expired(9_000)).toEqual([2]);
    expect(t.expired(10_000)).toEqual([1, 2]);
    expect(t.expired(20_000, 1)).toEqual([1]);
    t.forget(1);
    expect(t.keepAlive(1, 0)).toBeUndefined();
    expect(t.remainingMs(1, 0)).toBeUndefined();
  });

  it('a new leader extends every lease by its TTL plus extendMs instead of expiring leases it cannot know were kept alive', () => {
    const t = new LeaseTracker();
    t.reset(
      [
        { id: 1, ttl: 2 },
        { id: 2, ttl: 60 },
      ],
      0,
    );
    // Long after the old deadlines (the old leader may have had keep-alives we never saw).
    t.promote(100_000, 1_000);
    expect(t.expired(100_000 + 2_999)).toEqual([]);
    expect(t.expired(100_000 + 3_000)).toEqual([1]);
    expect(t.remainingMs(2, 100_000)).toBe(61_000);
  });
});
