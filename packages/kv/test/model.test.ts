// Model-based test: random command sequences applied to the state machine
// and to the naive reference model must give the same results and the same
// revisions, and reads between batches must agree at every revision.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCommand, type ApplyResult, type KvStateMachine } from '../src/index.js';
import { openMemory } from './helpers.js';
import { Model, ModelError, type MCommand, type MRange } from './model.js';
import {
  mCommand,
  mRange,
  normInner,
  normResponse,
  toCommand,
  toRangeRequest,
} from './model-gen.js';

type Step = { kind: 'batch'; cmds: MCommand[] } | { kind: 'range'; range: MRange };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(mCommand, { minLength: 1, maxLength: 3 })
      .map((cmds) => ({ kind: 'batch' as const, cmds })),
  },
  { weight: 1, arbitrary: mRange.map((range) => ({ kind: 'range' as const, range })) },
);

function modelOutcome(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (err) {
    if (err instanceof ModelError) return { error: err.kind };
    throw err;
  }
}

function realOutcome(c: MCommand, r: ApplyResult): unknown {
  return r.ok
    ? { ok: normResponse(c, r.response as unknown as Record<string, unknown>) }
    : { error: r.error.name };
}

async function realRange(sm: KvStateMachine, range: MRange): Promise<unknown> {
  try {
    return { ok: normInner(await sm.range(toRangeRequest(range))) };
  } catch (err) {
    return { error: (err as Error).name };
  }
}

export async function runAgainstModel(steps: Step[]): Promise<void> {
  const { sm } = await openMemory();
  const model = new Model();
  let index = 0;
  for (const s of steps) {
    if (s.kind === 'range') {
      expect(await realRange(sm, s.range)).toEqual(modelOutcome(() => model.range(s.range)));
      continue;
    }
    const entries = s.cmds.map((c) => ({
      index: ++index,
      data: encodeCommand({ cmd: toCommand(c) }),
    }));
    const results = await sm.applyEntries(entries);
    s.cmds.forEach((c, i) => {
      const expected = modelOutcome(() => model.apply(c, entries[i]!.index));
      expect(realOutcome(c, results[i]!), `command ${i} of batch: ${JSON.stringify(c)}`).toEqual(
        expected,
      );
    });
    expect(sm.revision).toBe(model.revision);
    expect(sm.compactRevision).toBe(model.compactRevision);
    expect(sm.leaseList().map((l) => l.id)).toEqual([...model.leases.keys()].sort((a, b) => a - b));
  }
  // Every readable revision agrees at the end, not just the ones the steps probed.
  for (let rev = Math.max(1, model.compactRevision); rev <= model.revision; rev++) {
    const all: MRange = { key: 'a', end: '\0', revision: rev };
    expect(await realRange(sm, all), `state at revision ${rev}`).toEqual(
      modelOutcome(() => model.range(all)),
    );
  }
}

describe('state machine against the reference model', () => {
  it('random put/delete/txn/range/lease/compact sequences give the same results and revisions as the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 14 }), (steps) => runAgainstModel(steps)),
      { numRuns: 500 },
    );
  });
});
