import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedKeys } from '../src/sorted-keys.js';

describe('SortedKeys', () => {
  it('matches a sorted array under random inserts, removes and range scans (across chunk splits)', () => {
    const key = fc.string({
      unit: fc.constantFrom('a', 'b', 'c', 'd'),
      minLength: 1,
      maxLength: 6,
    });
    const op = fc.oneof(
      fc.record({ t: fc.constant('ins' as const), key }),
      fc.record({ t: fc.constant('del' as const), key }),
      fc.record({ t: fc.constant('range' as const), key, end: fc.option(key, { nil: undefined }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 1500 }), (ops) => {
        const s = new SortedKeys();
        const ref = new Set<string>();
        for (const o of ops) {
          if (o.t === 'ins') s.insert(o.key), ref.add(o.key);
          else if (o.t === 'del') s.remove(o.key), ref.delete(o.key);
          else {
            const want = [...ref]
              .sort()
              .filter((x) => x >= o.key && (o.end === undefined || x < o.end));
            expect([...s.range(o.key, o.end)]).toEqual(want);
          }
          expect(s.size).toBe(ref.size);
        }
        expect([...s.range('', undefined)]).toEqual([...ref].sort());
      }),
      { numRuns: 60 },
    );
  });
});
