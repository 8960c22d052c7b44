// A ServedNode for tests that need only a few of its methods: the rest throw
// (through `unexpected`, which may also record the call).
import type { ServedNode, ServedStatus } from '../src/http/served-node.js';
import { DISABLED_AUTH } from './disabled-auth.js';

export const FAKE_STATUS: ServedStatus = {
  memberId: 7,
  clusterId: '99',
  leaderId: 7,
  term: 2,
  role: 'leader',
  commitIndex: 5,
  appliedIndex: 5,
  revision: 1,
  isLearner: false,
  dbSizeBytes: 0,
};

const METHODS = [
  'range',
  'put',
  'deleteRange',
  'txn',
  'compact',
  'leaseGrant',
  'leaseRevoke',
  'leaseKeepAlive',
  'leaseTimeToLive',
  'leases',
  'watch',
  'members',
  'addMember',
  'removeMember',
  'promoteMember',
  'moveLeader',
  'learnPeer',
  'updateMember',
  'hashKv',
  'authChange',
  'syncAuth',
  'isMember',
  'register',
] as const;

export function fakeServedNode(
  overrides: Partial<ServedNode>,
  unexpected: (method: string) => never = (method) => {
    throw new Error(`${method} is not used by this test`);
  },
): ServedNode {
  const base = Object.fromEntries(METHODS.map((m) => [m, () => unexpected(m)]));
  return {
    ...base,
    status: () => FAKE_STATUS,
    auth: () => DISABLED_AUTH,
    metrics: () => ({ applyLagEntries: 0, leaderChanges: 1 }),
    metricsText: () => '',
    ...overrides,
  } as ServedNode;
}
