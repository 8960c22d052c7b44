// The memory store with write latency: writes finish in order, each after
// its latency on the caller's timer; a crash while writes are in progress
// keeps every write that finished synced and may keep, tear or lose the rest
// (in order), exactly like unsynced writes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Entry } from '@flotilla/raft';
import { seededRng } from '@flotilla/raft';
import { MemoryStorage, StorageClosedError, type WriteLatency } from '../src/index.js';
import { entries } from './helpers.js';

/** A manual timer: time moves only through advance(). */
class ManualTimer {
  now = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  setTimer(delayMs: number, fn: () => void): void {
    this.timers.push({ at: this.now + delayMs, seq: this.seq++, fn });
  }

  /** Fires due timers in order, letting promise chains settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (next === undefined || next.at > end) break;
      this.timers.shift();
      this.now = next.at;
      next.fn();
    }
    this.now = end;
    await new Promise((r) => setImmediate(r));
  }
}

function latency(timer: ManualTimer, writeMs: number, syncMs: number): WriteLatency {
  return { timer, latencyMs: (sync) => (sync ? syncMs : writeMs) };
}

const lastIndexOf = (log: readonly Entry[]): number => log.at(-1)?.index ?? 0;

describe('MemoryStorage with write latency', () => {
  it('finishes writes in issue order, each after its latency, and counts those in progress', async () => {
    const timer = new ManualTimer();
    const s = new MemoryStorage({ writeLatency: latency(timer, 3, 10) });
    const done: string[] = [];
    void s.log.append(entries(1, 2, 1), { sync: true }).then(() => done.push(`a@${timer.now}`));
    void s.log.append(entries(3, 3, 1), { sync: false }).then(() => done.push(`b@${timer.now}`));
    void s.stable
      .setHardState({ term: 1, vote: 1, commit: 2 }, { sync: true })
      .then(() => done.push(`c@${timer.now}`));
    expect(s.writesInProgress).toBe(3);
    expect(s.log.lastIndex()).toBe(3); // visible at once, as before
    await timer.advance(9);
    expect(done).toEqual([]);
    await timer.advance(1);
    expect(done).toEqual(['a@10']);
    await timer.advance(3);
    expect(done).toEqual(['a@10', 'b@13']);
    await timer.advance(10);
    expect(done).toEqual(['a@10', 'b@13', 'c@23']);
    expect(s.writesInProgress).toBe(0);
    expect(s.unsyncedBatchCount).toBe(0);
  });

  it('can lose a synced write whose fsync has not returned, and rejects it', async () => {
    const timer = new ManualTimer();
    const s = new MemoryStorage({ writeLatency: latency(timer, 5, 5) });
    await Promise.all([s.log.append(entries(1, 2, 1), { sync: true }), timer.advance(5)]);
    const inFlight = s.log.append(entries(3, 4, 1), { sync: true });
    const outcome = inFlight.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await timer.advance(2);
    const after = s.crash(); // no rng: everything not yet durable is lost
    expect(await outcome).toBeInstanceOf(StorageClosedError);
    expect((await after.load()).entries).toEqual(entries(1, 2, 1));
  });

  it('tears a write in progress: some crash keeps part of it, some all, some none', async () => {
    const outcomes = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const timer = new ManualTimer();
      const s = new MemoryStorage({ writeLatency: latency(timer, 5, 5) });
      s.log.append(entries(1, 4, 1), { sync: true }).catch(() => undefined);
      await timer.advance(1);
      outcomes.add(s.crash({ rng: seededRng(seed), tearLastUnsynced: true }).log.lastIndex());
    }
    expect([...outcomes].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
  });

  it('close() lets writes in progress finish', async () => {
    const timer = new ManualTimer();
    const s = new MemoryStorage({ writeLatency: latency(timer, 5, 5) });
    const write = s.log.append(entries(1, 1, 1), { sync: true });
    const closed = s.close();
    await timer.advance(5);
    await write;
    await closed;
    expect(() => s.log.lastIndex()).toThrow(StorageClosedError);
  });

  it('after a crash at any moment keeps every write that finished synced and recovers a prefix of the writes in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            count: fc.integer({ min: 1, max: 3 }),
            sync: fc.boolean(),
            gapMs: fc.integer({ min: 0, max: 6 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.integer({ min: 0, max: 60 }),
        fc.nat(),
        fc.boolean(),
        async (writes, crashAtMs, seed, tear) => {
          const timer = new ManualTimer();
          const s = new MemoryStorage({
            writeLatency: { timer, latencyMs: (sync) => (sync ? 4 : 1) },
          });
          // Log after each write, and whether each write's promise resolved.
          const states: number[] = [0];
          const finished: boolean[] = [];
          let last = 0;
          let elapsed = 0;
          for (const [i, w] of writes.entries()) {
            if (elapsed + w.gapMs > crashAtMs) break;
            await timer.advance(w.gapMs);
            elapsed += w.gapMs;
            last += w.count;
            states.push(last);
            finished.push(false);
            s.log.append(entries(last - w.count + 1, last, 1), { sync: w.sync }).then(
              () => (finished[i] = true),
              () => undefined,
            );
          }
          await timer.advance(crashAtMs - elapsed);
          const durableFloor = Math.max(
            0,
            ...finished.map((f, i) => (f && writes[i]!.sync ? states[i + 1]! : 0)),
          );
          const got = lastIndexOf(
            (await s.crash({ rng: seededRng(seed), tearLastUnsynced: tear }).load()).entries,
          );
          expect(got).toBeGreaterThanOrEqual(durableFloor);
          expect(got).toBeLessThanOrEqual(last);
          if (!tear) expect(states).toContain(got);
        },
      ),
      { numRuns: 200 },
    );
  });
});
