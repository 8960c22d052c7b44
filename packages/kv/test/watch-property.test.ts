// Watch property test: random write sequences with random watchers (start
// revisions, ranges, filters, prevKv, cancel and resume, some created while a
// batch is being applied). Every watcher must see exactly the events the
// model says, in order, no gaps, no duplicates, a revision never split
// across responses, and a compacted signal exactly when its start is gone.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytes,
  encodeCommand,
  text,
  type Event,
  type KvStateMachine,
  type Watcher,
  type WatchFilter,
  type WatchResponse,
} from '../src/index.js';
import { drain, openMemory, until } from './helpers.js';
import { Model, type MChange, type MCommand, type MKv } from './model.js';
import { KEYS, mCommand, normKv, toCommand } from './model-gen.js';

interface WSpec {
  startBack: number;
  key: string;
  end: string | undefined;
  noPut: boolean;
  noDelete: boolean;
  prevKv: boolean;
}

type Step =
  | { kind: 'batch'; cmds: MCommand[]; watchDuring?: WSpec }
  | { kind: 'watch'; spec: WSpec }
  | { kind: 'resume'; which: number };

const wspec: fc.Arbitrary<WSpec> = fc.record({
  startBack: fc.integer({ min: -2, max: 12 }),
  key: fc.constantFrom(...KEYS),
  end: fc.constantFrom<string | undefined>(undefined, '\0', 'b', 'c'),
  noPut: fc.constantFrom(false, false, false, true),
  noDelete: fc.constantFrom(false, false, false, true),
  prevKv: fc.boolean(),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        cmds: fc.array(mCommand, { minLength: 1, maxLength: 3 }),
        watchDuring: fc.option(wspec, { nil: undefined }),
      })
      .map((b) => ({ kind: 'batch' as const, ...b })),
  },
  { weight: 2, arbitrary: wspec.map((spec) => ({ kind: 'watch' as const, spec })) },
  { weight: 1, arbitrary: fc.nat(5).map((which) => ({ kind: 'resume' as const, which })) },
);

interface Tracked {
  spec: WSpec;
  /** The revision the whole chain of watchers (original + resumptions) started at. */
  start: number;
  watcher: Watcher;
  responses: WatchResponse[];
}

function modelEvent(c: MChange, prevKv: boolean): unknown {
  const kv: MKv = c.kv ?? {
    key: c.key,
    value: '',
    createRevision: 0,
    modRevision: c.rev,
    version: 0,
    lease: 0,
  };
  return prevKv && c.prevKv
    ? { type: c.kv ? 'PUT' : 'DELETE', kv, prevKv: c.prevKv }
    : { type: c.kv ? 'PUT' : 'DELETE', kv };
}

function realEvent(e: Event): unknown {
  return e.prevKv
    ? { type: e.type, kv: normKv(e.kv), prevKv: normKv(e.prevKv) }
    : { type: e.type, kv: normKv(e.kv) };
}

function open(sm: KvStateMachine, spec: WSpec, startRevision: number): Watcher {
  const filters: WatchFilter[] = [
    ...(spec.noPut ? ['NOPUT' as const] : []),
    ...(spec.noDelete ? ['NODELETE' as const] : []),
  ];
  return sm.watch({
    key: bytes(spec.key),
    ...(spec.end === undefined
      ? {}
      : { rangeEnd: spec.end === '\0' ? new Uint8Array([0]) : bytes(spec.end) }),
    startRevision,
    prevKv: spec.prevKv,
    filters,
  });
}

function startFor(sm: KvStateMachine, spec: WSpec): number {
  return spec.startBack < 0 ? 0 : Math.max(1, sm.revision + 1 - spec.startBack);
}

async function run(steps: Step[]): Promise<void> {
  const { sm } = await openMemory();
  const model = new Model();
  const tracked: Tracked[] = [];
  let index = 0;
  const add = (spec: WSpec): void => {
    const requested = startFor(sm, spec);
    const start = requested || sm.revision + 1;
    tracked.push({ spec, start, watcher: open(sm, spec, requested), responses: [] });
  };
  for (const s of steps) {
    if (s.kind === 'watch') add(s.spec);
    else if (s.kind === 'resume') {
      const t = tracked[s.which % Math.max(1, tracked.length)];
      if (t && !t.watcher.closed) {
        t.responses.push(...drain(t.watcher));
        t.watcher.cancel();
        t.watcher = open(sm, t.spec, t.watcher.nextRevision);
      }
    } else {
      const entries = s.cmds.map((c) => ({
        index: ++index,
        data: encodeCommand({ cmd: toCommand(c) }),
      }));
      const applying = sm.applyEntries(entries);
      if (s.watchDuring) add(s.watchDuring);
      await applying;
      s.cmds.forEach((c, i) => {
        try {
          model.apply(c, entries[i]!.index);
        } catch {
          // errors are checked by the model-based test; here only history matters
        }
      });
    }
    for (const t of tracked) t.responses.push(...drain(t.watcher));
  }
  await until(
    () =>
      tracked.every(
        (t) =>
          t.watcher.closed ||
          (t.watcher.state === 'synced' && t.watcher.nextRevision > sm.revision),
      ),
    'watchers to catch up',
  );
  for (const t of tracked) {
    t.responses.push(...drain(t.watcher));
    check(t, model);
  }
  await sm.close();
}

function check(t: Tracked, model: Model): void {
  const { spec } = t;
  const expected = model.events(t.start, spec.key, spec.end, spec.noPut, spec.noDelete);
  const got = t.responses.flatMap((r) => r.events);
  const final = t.responses.at(-1);
  const compacted = final?.canceled === true && final.compactRevision !== undefined;
  // Atomic: a revision's events all arrive in one response.
  const seen = new Set<number>();
  for (const r of t.responses) {
    const revs = new Set(r.events.map((e) => e.kv.modRevision));
    for (const rev of revs) {
      expect(seen.has(rev), `revision ${rev} split across responses`).toBe(false);
      seen.add(rev);
    }
  }
  if (compacted) {
    // Delivered a gap-free prefix, then stopped where history is gone.
    const upTo = expected.filter((c) => c.rev < t.watcher.nextRevision);
    expect(got.map(realEvent)).toEqual(upTo.map((c) => modelEvent(c, spec.prevKv)));
    expect(t.watcher.nextRevision).toBeLessThanOrEqual(final.compactRevision!);
  } else {
    expect(final?.canceled ?? false, `unexpected cancel: ${final?.cancelReason}`).toBe(false);
    expect(got.map(realEvent)).toEqual(expected.map((c) => modelEvent(c, spec.prevKv)));
  }
  expect(got.every((e) => text(e.kv.key).length > 0)).toBe(true);
}

describe('watch against the reference model', () => {
  it('every watcher sees exactly the model events: ordered, unique, atomic, gap-free, resumable, compaction signalled', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 14 }), (steps) => run(steps)),
      { numRuns: 500 },
    );
  });
});
