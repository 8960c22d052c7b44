// The memory store's durability boundary, checked against a plain model:
// synced writes survive any crash; unsynced ones may be lost (a suffix of
// batches) or torn (a prefix of one batch), but never leave a log that is
// not a prefix of a state the writes passed through.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Entry, HardState, SnapshotMeta } from '@flotilla/raft';
import { seededRng } from '@flotilla/raft';
import { EMPTY_HARD_STATE, MemoryStorage } from '../src/index.js';
import { CONF, entries, entry, meta } from './helpers.js';

interface ModelState {
  readonly snap: SnapshotMeta | undefined;
  /** Entries after the snapshot, contiguous. */
  readonly log: readonly Entry[];
  readonly hard: HardState;
}

const first = (m: ModelState): number => (m.snap?.index ?? 0) + 1;
const last = (m: ModelState): number => first(m) + m.log.length - 1;
const termAt = (m: ModelState, i: number): number =>
  i === first(m) - 1 ? (m.snap?.term ?? 0) : m.log[i - first(m)]!.term;

type Command =
  | {
      readonly t: 'append';
      readonly pick: number;
      readonly count: number;
      readonly bump: boolean;
      readonly sync: boolean;
    }
  | { readonly t: 'truncate'; readonly pick: number; readonly sync: boolean }
  | { readonly t: 'compact'; readonly pick: number; readonly sync: boolean }
  | {
      readonly t: 'install';
      readonly ahead: number;
      readonly withEntries: number;
      readonly sync: boolean;
    }
  | { readonly t: 'hard'; readonly sync: boolean }
  | { readonly t: 'sync' }
  | {
      readonly t: 'crash';
      readonly seed: number;
      readonly tear: boolean;
      readonly useRng: boolean;
    };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('append' as const),
      pick: fc.nat(),
      count: fc.integer({ min: 1, max: 4 }),
      bump: fc.boolean(),
      sync: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('truncate' as const),
      pick: fc.nat(),
      sync: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('compact' as const),
      pick: fc.nat(),
      sync: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('install' as const),
      ahead: fc.integer({ min: 0, max: 3 }),
      withEntries: fc.integer({ min: 0, max: 2 }),
      sync: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('hard' as const), sync: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('sync' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('crash' as const),
      seed: fc.nat(),
      tear: fc.boolean(),
      useRng: fc.boolean(),
    }),
  },
);

const sameEntry = (a: Entry | undefined, b: Entry | undefined): boolean =>
  a !== undefined && b !== undefined && a.index === b.index && a.term === b.term;

function isPrefix(short: readonly Entry[], long: readonly Entry[]): boolean {
  return short.length <= long.length && short.every((e, i) => sameEntry(e, long[i]));
}

function commonPrefixLength(a: readonly Entry[], b: readonly Entry[]): number {
  let n = 0;
  while (n < a.length && n < b.length && sameEntry(a[n], b[n])) n++;
  return n;
}

const sameState = (a: ModelState, b: ModelState): boolean =>
  JSON.stringify(a.snap) === JSON.stringify(b.snap) &&
  JSON.stringify(a.hard) === JSON.stringify(b.hard) &&
  a.log.length === b.log.length &&
  isPrefix(a.log, b.log);

/** Could a crash that tore the batch from `prev` to `next` leave `got`? */
function tornBetween(prev: ModelState, next: ModelState, got: ModelState): boolean {
  const hard = JSON.stringify(got.hard);
  if (hard !== JSON.stringify(prev.hard) && hard !== JSON.stringify(next.hard)) return false;
  const snapOf = (m: ModelState): string => JSON.stringify(m.snap);
  if (snapOf(got) === snapOf(prev) && snapOf(got) === snapOf(next)) {
    const common = commonPrefixLength(prev.log, next.log);
    return (isPrefix(got.log, prev.log) || isPrefix(got.log, next.log)) && got.log.length >= common;
  }
  if (snapOf(got) === snapOf(next)) return isPrefix(got.log, next.log);
  if (snapOf(got) === snapOf(prev)) return isPrefix(got.log, prev.log);
  return false;
}

async function observe(s: MemoryStorage): Promise<ModelState> {
  const loaded = await s.load();
  return { snap: loaded.snapshotMeta, log: loaded.entries, hard: loaded.hardState };
}

describe('MemoryStorage against a model, with crashes', () => {
  it('matches the model while running and recovers only states the writes passed through', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        let store = new MemoryStorage();
        let model: ModelState = { snap: undefined, log: [], hard: EMPTY_HARD_STATE };
        // The durable state and the state after each unsynced batch since.
        let durable = model;
        let pending: ModelState[] = [];
        let termNow = 1;
        const wrote = (next: ModelState, sync: boolean): void => {
          model = next;
          pending.push(next);
          if (sync) {
            durable = next;
            pending = [];
          }
        };
        for (const c of commands) {
          switch (c.t) {
            case 'append': {
              termNow += c.bump ? 1 : 0;
              const start = first(model) + (c.pick % (model.log.length + 1));
              const batch = entries(start, start + c.count - 1, termNow, 4);
              await store.log.append(batch, { sync: c.sync });
              wrote(
                { ...model, log: [...model.log.slice(0, start - first(model)), ...batch] },
                c.sync,
              );
              break;
            }
            case 'truncate': {
              const from = first(model) + (c.pick % (model.log.length + 1));
              await store.log.truncateSuffix(from, { sync: c.sync });
              if (from <= last(model))
                wrote({ ...model, log: model.log.slice(0, from - first(model)) }, c.sync);
              else if (c.sync) {
                // A synced call makes everything before it durable, even when it changes nothing.
                durable = model;
                pending = [];
              }
              break;
            }
            case 'compact': {
              const at = first(model) - 1 + (c.pick % (model.log.length + 1));
              const m = meta(at, termAt(model, at));
              await store.log.compact(m, { sync: c.sync });
              wrote({ ...model, snap: m, log: model.log.slice(at - first(model) + 1) }, c.sync);
              break;
            }
            case 'install': {
              termNow++;
              const m = meta(last(model) + c.ahead, termNow, { ...CONF, voters: [termNow] });
              const after = entries(m.index + 1, m.index + c.withEntries, termNow, 4);
              const hard = { term: termNow, vote: 1, commit: m.index };
              await store.persist(
                { snapshotMeta: m, entries: after, hardState: hard },
                { sync: c.sync },
              );
              wrote({ snap: m, log: after, hard }, c.sync);
              break;
            }
            case 'hard': {
              const hard = {
                term: termNow,
                vote: termNow % 3,
                commit: Math.max(model.hard.commit, first(model) - 1),
              };
              await store.stable.setHardState(hard, { sync: c.sync });
              wrote({ ...model, hard }, c.sync);
              break;
            }
            case 'sync':
              await store.sync();
              durable = model;
              pending = [];
              break;
            case 'crash': {
              const rng = c.useRng ? seededRng(c.seed) : undefined;
              store = store.crash(rng === undefined ? {} : { rng, tearLastUnsynced: c.tear });
              const got = await observe(store);
              const states = [durable, ...pending];
              const whole = states.some((st) => sameState(st, got));
              const torn =
                c.tear &&
                c.useRng &&
                states.some(
                  (st, k) => k + 1 < states.length && tornBetween(st, states[k + 1]!, got),
                );
              expect(
                whole || torn,
                `recovered ${JSON.stringify(got)} is not a state the writes passed through`,
              ).toBe(true);
              if (!c.useRng)
                expect(sameState(got, durable), 'without an rng every unsynced write is lost').toBe(
                  true,
                );
              model = got;
              durable = got;
              pending = [];
              break;
            }
          }
          if (c.t !== 'crash')
            expect(sameState(await observe(store), model), `after ${JSON.stringify(c)}`).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('MemoryStorage durability boundary', () => {
  it('keeps a synced persist through any crash, torn or not', () => {
    for (let seed = 0; seed < 50; seed++) {
      const s = new MemoryStorage();
      void s.persist(
        { entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 1 } },
        { sync: true },
      );
      void s.persist({ entries: entries(2, 5, 2) }, { sync: false });
      const after = s.crash({ rng: seededRng(seed), tearLastUnsynced: true });
      expect(after.log.lastIndex()).toBeGreaterThanOrEqual(1);
      void after.load().then((l) => {
        expect(l.hardState).toEqual({ term: 1, vote: 1, commit: 1 });
        expect(l.entries[0]).toEqual(entry(1, 1));
      });
    }
  });

  it('loses every unsynced write on a crash without an rng, and counts them before', async () => {
    const s = new MemoryStorage();
    await s.persist({ entries: entries(1, 2, 1) }, { sync: true });
    await s.persist({ entries: entries(3, 4, 1) }, { sync: false });
    await s.stable.setHardState({ term: 5, vote: 0, commit: 0 }, { sync: false });
    expect(s.log.lastIndex()).toBe(4);
    expect(s.unsyncedBatchCount).toBe(2);
    const after = s.crash();
    expect((await after.load()).entries).toEqual(entries(1, 2, 1));
    expect(await after.stable.hardState()).toEqual(EMPTY_HARD_STATE);
  });

  it('makes earlier unsynced writes durable with the next synced write, as an fsync of the log does', async () => {
    const s = new MemoryStorage();
    await s.log.append(entries(1, 2, 1), { sync: false });
    await s.stable.setHardState({ term: 1, vote: 1, commit: 0 }, { sync: true });
    const after = s.crash({ rng: seededRng(1), tearLastUnsynced: true });
    expect((await after.load()).entries).toEqual(entries(1, 2, 1));
  });

  it('can tear the last unsynced batch: some crash keeps part of a batch', async () => {
    const outcomes = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const s = new MemoryStorage();
      await s.log.append(entries(1, 6, 1), { sync: false });
      outcomes.add(s.crash({ rng: seededRng(seed), tearLastUnsynced: true }).log.lastIndex());
    }
    expect([...outcomes].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('refuses use after a crash: the crashed process does not go on', async () => {
    const s = new MemoryStorage();
    s.crash();
    expect(() => s.log.lastIndex()).toThrow(/closed storage handle/);
  });

  it('is deterministic: the same seed gives the same recovered state', async () => {
    const run = async (seed: number): Promise<number> => {
      const s = new MemoryStorage();
      for (let i = 1; i <= 10; i++) await s.log.append([entry(i, 1)], { sync: false });
      return s.crash({ rng: seededRng(seed) }).log.lastIndex();
    };
    for (let seed = 0; seed < 20; seed++) expect(await run(seed)).toBe(await run(seed));
  });
});
