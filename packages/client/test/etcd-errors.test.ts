// etcd's error messages to the store's typed errors, as they arrive over the
// JSON gateway (the bare message) and over gRPC (prefixed with the status:
// "3 INVALID_ARGUMENT: etcdserver: …").
import { describe, expect, it } from 'vitest';
import { kvErrorFromEtcdMessage } from '../src/etcd-errors.js';

describe('etcd error messages', () => {
  it.each([
    ['etcdserver: user name is empty', 'UserEmptyError'],
    ['3 INVALID_ARGUMENT: etcdserver: user name is empty', 'UserEmptyError'],
    ['3 INVALID_ARGUMENT: etcdserver: invalid auth token', 'InvalidAuthTokenError'],
    ['7 PERMISSION_DENIED: etcdserver: permission denied', 'PermissionDeniedError'],
    ['11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted', 'CompactedError'],
    ['3 INVALID_ARGUMENT: etcdserver: duplicate key given in txn request', 'InvalidRequestError'],
  ])('%s is %s', (message, name) => {
    expect(kvErrorFromEtcdMessage(message)?.name).toBe(name);
  });

  it('leaves transport and leader errors to the caller', () => {
    expect(kvErrorFromEtcdMessage('14 UNAVAILABLE: etcdserver: leader changed')).toBeUndefined();
  });
});
