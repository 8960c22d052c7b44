// Property tests of the checker: histories produced by a real sequential
// execution, stretched into random overlapping intervals around each
// operation's linearization point, must always be accepted; the same
// histories with one read corrupted must be rejected.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  formatCheckResult,
  registerModel,
  type RegisterOp,
} from '../src/cluster.js';

interface Plan {
  readonly kind: 'read' | 'write' | 'casValue' | 'casRev';
  readonly key: number;
  readonly guessOld: boolean;
  readonly before: number;
  readonly after: number;
  readonly fate: 'ok' | 'unknown' | 'fail';
}

const planArb = fc.record({
  kind: fc.constantFrom('read', 'write', 'casValue', 'casRev'),
  key: fc.integer({ min: 0, max: 2 }),
  guessOld: fc.boolean(),
  before: fc.integer({ min: 0, max: 40 }),
  after: fc.integer({ min: 0, max: 40 }),
  fate: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'unknown', 'fail'),
}) as fc.Arbitrary<Plan>;

/**
 * Runs the plans sequentially against an in-memory etcd-like store (one
 * global revision), giving operation i the linearization point 10·i, then
 * widens each into [point − before, point + after]. Failed operations do not
 * execute; unknown ones execute but the client never learns the result.
 */
function execute(plans: readonly Plan[]): RegisterOp[] {
  const store = new Map<string, { value: string; modRevision: number }>();
  let revision = 0;
  const history: RegisterOp[] = [];
  plans.forEach((p, i) => {
    const key = `k${p.key}`;
    const point = 10 * i + 5;
    const cur = store.get(key);
    const id = i;
    const times = {
      id,
      process: i,
      invokeTime: Math.max(0, point - p.before),
      completeTime: point + p.after,
    };
    const value = `v${i}`;
    if (p.kind === 'read') {
      const result = { value: cur?.value ?? null, modRevision: cur?.modRevision ?? 0 };
      history.push({
        ...times,
        op: 'read',
        key,
        outcome: p.fate,
        ...(p.fate === 'ok' ? { result } : {}),
      });
      return;
    }
    const expected =
      p.kind === 'casValue'
        ? { value: p.guessOld ? 'v-never' : (cur?.value ?? null) }
        : p.kind === 'casRev'
          ? { modRevision: p.guessOld ? -1 : (cur?.modRevision ?? 0) }
          : undefined;
    const applies = p.fate !== 'fail' && (expected === undefined || !p.guessOld);
    if (applies) store.set(key, { value, modRevision: ++revision });
    const result =
      expected === undefined
        ? { revision }
        : applies
          ? { succeeded: true, revision }
          : { succeeded: false };
    history.push({
      ...times,
      op: expected === undefined ? 'write' : 'cas',
      key,
      value,
      ...(expected === undefined ? {} : { expected }),
      outcome: p.fate,
      ...(p.fate === 'ok' ? { result } : {}),
      ...(p.fate === 'unknown' ? { completeTime: Infinity } : {}),
    });
  });
  return history;
}

describe('checker properties', () => {
  it('accepts every history generated from a sequential execution with random overlapping timing', () => {
    fc.assert(
      fc.property(fc.array(planArb, { minLength: 1, maxLength: 40 }), (plans) => {
        const h = execute(plans);
        const r = checkLinearizable(registerModel, h);
        if (r.verdict !== 'ok') throw new Error(formatCheckResult(registerModel, h, r));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects the same histories when one completed read returns a value never written', () => {
    fc.assert(
      fc.property(fc.array(planArb, { minLength: 1, maxLength: 40 }), fc.nat(), (plans, pick) => {
        const h = execute(plans);
        const reads = h.filter((o) => o.op === 'read' && o.outcome === 'ok');
        fc.pre(reads.length > 0);
        const victim = reads[pick % reads.length] as RegisterOp;
        const corrupted = h.map((o) =>
          o.id === victim.id ? { ...o, result: { value: 'forged' } } : o,
        );
        const r = checkLinearizable(registerModel, corrupted);
        expect(r.verdict).toBe('violation');
        expect(r.violations[0]?.stuckOpIds).toContain(victim.id);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects the same histories when a completed write is made to vanish before a later read', () => {
    fc.assert(
      fc.property(fc.array(planArb, { minLength: 2, maxLength: 40 }), (plans) => {
        // A definite write, then (strictly later) a read that saw it; dropping
        // the write's effect by labelling it 'fail' must break the history.
        const h = execute(plans);
        const reader = h.find(
          (o) =>
            o.op === 'read' &&
            o.outcome === 'ok' &&
            o.result?.value !== null &&
            o.result?.value !== undefined,
        );
        fc.pre(reader !== undefined);
        const writer = h.find(
          (o) => o.op !== 'read' && o.key === reader?.key && o.value === reader?.result?.value,
        );
        fc.pre(writer !== undefined && writer.outcome !== 'fail');
        const broken = h.map((o) =>
          o.id === writer?.id ? { ...o, outcome: 'fail' as const, completeTime: o.invokeTime } : o,
        );
        expect(checkLinearizable(registerModel, broken).verdict).toBe('violation');
      }),
      { numRuns: 200 },
    );
  });
});
