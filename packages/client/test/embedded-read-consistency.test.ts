// The embedded backend hands the read consistency asked for to the node,
// lease reads included (they are the node's own: no HTTP in between).
import { describe, expect, it } from 'vitest';
import type { FlotillaNode, ReadOptions } from '@flotilla/node';
import { embeddedKv } from '../src/index.js';

describe('embedded read consistency', () => {
  it('reaches node.range as linearizable, lease or serializable', async () => {
    const reached: ReadOptions['consistency'][] = [];
    // Only range is called by these reads.
    const node = {
      range: async (_req: unknown, options?: ReadOptions) => {
        reached.push(options?.consistency);
        return {
          header: { clusterId: '1', memberId: 1, revision: 3, raftTerm: 1 },
          kvs: [],
          more: false,
          count: 0,
        };
      },
    } as unknown as FlotillaNode;
    const kv = embeddedKv(node);
    await kv.get('a');
    await kv.get('a', { consistency: 'lease' });
    await kv.range({ prefix: 'a', consistency: 'serializable' });
    await kv.close();
    expect(reached).toEqual(['linearizable', 'lease', 'serializable']);
  });
});
