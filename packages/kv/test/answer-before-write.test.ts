// answerBeforeWrite: applyEntries answers once the batch is applied in memory
// and writes it behind the answer. Reads, watches, snapshots and the next
// apply must still see exactly the applied state, and a write that fails after
// the answer must stop the state machine at its next call.
import { MemoryLevel } from 'memory-level';
import { describe, expect, it } from 'vitest';
import { KvStateMachine, text, type WatchResponse } from '../src/index.js';
import { apply, k, put } from './helpers.js';

interface BatchHook {
  _batch(ops: unknown[], options: object): Promise<void>;
}

/** A MemoryLevel whose batch writes wait for `release()` (or fail with `fail()`). */
function heldLevel(): {
  db: MemoryLevel<string, string>;
  hold: () => void;
  release: () => void;
  fail: () => void;
  pending: () => number;
} {
  const db = new MemoryLevel<string, string>();
  const hook = db as unknown as BatchHook;
  const batch = hook._batch.bind(db);
  let holding = false;
  const waiting: { go: () => void; error: () => void }[] = [];
  hook._batch = (ops, options) => {
    if (!holding) return batch(ops, options);
    return new Promise<void>((resolve, reject) =>
      waiting.push({
        go: () => batch(ops, options).then(resolve, reject),
        error: () => reject(new Error('EIO: disk write failed')),
      }),
    );
  };
  const drain = (how: 'go' | 'error'): void => {
    holding = false;
    for (const w of waiting.splice(0)) w[how]();
  };
  return {
    db,
    hold: () => (holding = true),
    release: () => drain('go'),
    fail: () => drain('error'),
    pending: () => waiting.length,
  };
}

/** Lets queued promise callbacks run (a held write never settles meanwhile). */
const settle = () => new Promise((r) => setTimeout(r, 0));

/**
 * The answer of `applying` if it came while its write is held, else undefined (after releasing
 * the write, so a state machine that waits for it does not hang the test).
 */
async function answeredWhileHeld<T>(
  applying: Promise<T>,
  level: { pending: () => number; release: () => void },
): Promise<T | undefined> {
  let answer: T | undefined;
  void applying.then((a) => (answer = a));
  await settle();
  expect(level.pending()).toBe(1);
  if (answer === undefined) {
    level.release();
    await applying;
  }
  return answer;
}

describe('answerBeforeWrite', () => {
  it('answers before the batch is written; reads see the applied state, watchers get it once written', async () => {
    const level = heldLevel();
    const sm = await KvStateMachine.open(level.db, { answerBeforeWrite: true });
    await apply(sm, put('a', '1'));
    const events: WatchResponse[] = [];
    const watcher = sm.watch({ key: k('a') });
    void (async () => {
      for await (const r of watcher) events.push(r);
    })();

    level.hold();
    const answer = await answeredWhileHeld(apply(sm, put('a', '2')), level);
    expect(answer?.[0]!.ok).toBe(true);
    expect(sm.appliedIndex).toBe(2);
    const read = await sm.range({ key: k('a') });
    expect(text(read.kvs[0]!.value)).toBe('2');
    expect(read.header.revision).toBe(3);
    // A watcher from the new revision, created before the write: the event exactly once.
    const late = sm.watch({ key: k('a'), startRevision: 3 });
    const lateEvents: WatchResponse[] = [];
    void (async () => {
      for await (const r of late) lateEvents.push(r);
    })();
    await settle();
    expect(events.flatMap((r) => r.events)).toHaveLength(0); // published once durable

    let written = false;
    void sm.written().then(() => (written = true));
    await settle();
    expect(written).toBe(false);
    level.release();
    await sm.written();
    await settle();
    expect(events.flatMap((r) => r.events.map((e) => text(e.kv.value)))).toEqual(['2']);
    expect(lateEvents.flatMap((r) => r.events.map((e) => e.kv.modRevision))).toEqual([3]);
    watcher.cancel();
    late.cancel();

    // A reopened state machine finds what was answered.
    await sm.close();
    const again = await KvStateMachine.open(level.db);
    expect(again.appliedIndex).toBe(2);
    expect(text((await again.range({ key: k('a') })).kvs[0]!.value)).toBe('2');
  });

  it('waits for the write without it (the default)', async () => {
    const level = heldLevel();
    const sm = await KvStateMachine.open(level.db);
    level.hold();
    let answered = false;
    const answer = apply(sm, put('a', '1')).then(() => (answered = true));
    await settle();
    expect(level.pending()).toBe(1);
    expect(answered).toBe(false);
    level.release();
    await answer;
    expect(answered).toBe(true);
  });

  it('a write that fails after the answer makes the next call reject, and nothing more is applied', async () => {
    const level = heldLevel();
    const sm = await KvStateMachine.open(level.db, { answerBeforeWrite: true });
    level.hold();
    const answer = await answeredWhileHeld(apply(sm, put('a', '1')), level);
    expect(answer?.[0]!.ok).toBe(true);
    level.fail();
    await sm.written();
    await expect(apply(sm, put('b', '1'))).rejects.toThrow(/unusable after a failed write.*EIO/);
    await expect(sm.snapshot()).rejects.toThrow(/unusable after a failed write/);
    // Storage holds the state before the failed batch: a restart applies the entry again from the log.
    const reopened = await KvStateMachine.open(level.db);
    expect(reopened.appliedIndex).toBe(0);
  });
});
