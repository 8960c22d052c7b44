// What a member publishes about itself into the replicated member table.
import { describe, expect, it } from 'vitest';
import { publishRequest } from '../src/cluster/member-table.js';

const self = {
  id: 7,
  name: 'n7',
  peerUrls: ['http://10.0.0.7:2380'],
  clientUrls: ['http://10.0.0.7:2379'],
};

describe('publishRequest', () => {
  it('fills a missing record completely, with the learner flag from the configuration', () => {
    expect(publishRequest(undefined, self, true)).toEqual({
      kind: 'set',
      ...self,
      isLearner: true,
    });
  });

  it('asks for nothing when the record says what the member would', () => {
    expect(publishRequest({ ...self, isLearner: false }, self, false)).toBeUndefined();
  });

  it('a new client URL or name is published; peer URLs set by member update are kept', () => {
    const stored = { ...self, peerUrls: ['http://10.0.0.70:2380'], isLearner: false };
    const moved = { ...self, clientUrls: ['http://10.0.0.7:3379'] };
    expect(publishRequest(stored, moved, false)).toEqual({
      kind: 'set',
      id: 7,
      clientUrls: ['http://10.0.0.7:3379'],
    });
    expect(publishRequest({ ...stored, name: '' }, self, false)).toEqual({
      kind: 'set',
      id: 7,
      name: 'n7',
    });
  });

  it('fills peer URLs only into a record that has none (a member added by id alone)', () => {
    const stored = { ...self, peerUrls: [], isLearner: true };
    expect(publishRequest(stored, self, true)).toEqual({
      kind: 'set',
      id: 7,
      peerUrls: self.peerUrls,
    });
  });
});
