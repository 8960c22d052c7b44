// A failing schedule is reported one step per line as a TypeScript literal, the
// form raft-regressions.test.ts keeps: it must read back as the same schedule.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSchedule, scheduleArb, type SimStep } from '../src/raft-sim.js';

describe('schedule formatting', () => {
  it('prints one step per line and reads back as the same schedule', () => {
    fc.assert(
      fc.property(scheduleArb(), (steps) => {
        const text = formatSchedule(steps);
        expect(text.split('\n')).toHaveLength(steps.length + 2);
        const back = new Function(`return ${text};`)() as SimStep[];
        expect(back).toEqual(steps);
      }),
      { seed: 20261207, numRuns: 200 },
    );
  });
});
