import { describe, expect, it } from 'vitest';
import { summarizeProfile } from '../suite/profile-summary.js';

describe('summarizeProfile', () => {
  it('busy share excludes idle samples and top lists self time by function and file', () => {
    const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 9 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('apply', 'file:///work/main/packages/kv/dist/apply.js') },
        { id: 4, callFrame: frame('(garbage collector)') },
      ],
      samples: [2, 3, 3, 4, 2, 3],
      timeDeltas: [10, 10, 10, 10, 10, 10],
    };
    const s = summarizeProfile('x.cpuprofile', profile);
    expect(s.busyShare).toBe(66.7);
    expect(s.top).toEqual([
      { fn: 'apply packages/kv/dist/apply.js:10', share: 50 },
      { fn: '(garbage collector)', share: 16.7 },
    ]);
  });
});
