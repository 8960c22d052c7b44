// The Watch every backend hands out: order, replay de-duplication after a
// reconnect, back-pressure on the producer, cancel and failure.
import { describe, expect, it } from 'vitest';
import { CompactedError } from '@flotilla/kv';
import type { Event } from '../src/index.js';
import { WatchStream } from '../src/watch-stream.js';

const ev = (rev: number, key = `k${rev}`): Event => ({
  type: 'PUT',
  kv: {
    key: new TextEncoder().encode(key),
    value: new Uint8Array(0),
    createRevision: rev,
    modRevision: rev,
    version: 1,
    lease: 0,
  },
});

function stream(
  bufferEventsMax = 100,
  startRevision = 5,
): { w: WatchStream; cancels: () => number } {
  let n = 0;
  const w = new WatchStream({ bufferEventsMax, startRevision, onCancel: () => n++ });
  return { w, cancels: () => n };
}

describe('WatchStream', () => {
  it('drops events a resumed stream replays (below resumeRevision), so the consumer sees each revision once', async () => {
    const { w } = stream();
    w.markReady(4);
    w.push(6, [ev(5), ev(6)]);
    expect(w.resumeRevision).toBe(7);
    w.push(7, [ev(6), ev(7)]); // a reconnect asked from 7, but a server replayed 6 too
    const a = await w.next();
    const b = await w.next();
    expect(a?.events.map((e) => e.kv.modRevision)).toEqual([5, 6]);
    expect(b?.events.map((e) => e.kv.modRevision)).toEqual([7]);
    expect(w.nextRevision).toBe(8);
  });

  it('without a start revision, the first revision is the one after the store revision at creation', () => {
    const { w } = stream(100, 0);
    w.markReady(41);
    expect(w.nextRevision).toBe(42);
    expect(w.resumeRevision).toBe(42);
  });

  it('room() holds the producer while the queue is full and releases it when the consumer drains', async () => {
    const { w } = stream(2);
    w.markReady(4);
    w.push(6, [ev(5), ev(6)]);
    let released = false;
    const room = w.room().then(() => (released = true));
    await Promise.resolve();
    expect(released).toBe(false);
    await w.next();
    await room;
    expect(released).toBe(true);
  });

  it('cancel ends iteration, drops what is queued, and tells the backend once', async () => {
    const { w, cancels } = stream();
    w.markReady(4);
    w.push(5, [ev(5)]);
    w.cancel();
    w.cancel();
    expect(await w.next()).toBeUndefined();
    expect(cancels()).toBe(1);
    expect(w.closed).toBe(true);
  });

  it('a failure is thrown after the queued batches are delivered', async () => {
    const { w } = stream();
    w.markReady(4);
    w.push(5, [ev(5)]);
    w.fail(CompactedError.of(6, 9));
    expect((await w.next())?.events).toHaveLength(1);
    await expect(w.next()).rejects.toBeInstanceOf(CompactedError);
  });

  it('leaving a for-await loop early cancels the watch', async () => {
    const { w, cancels } = stream();
    w.markReady(4);
    w.push(5, [ev(5)]);
    w.push(6, [ev(6)]);
    for await (const batch of w) {
      expect(batch.events[0]?.kv.modRevision).toBe(5);
      break;
    }
    expect(cancels()).toBe(1);
  });
});
