// etcd's error messages (the same over gRPC and the JSON gateway) to
// @flotilla/kv's typed errors, so callers catch one class on every backend.

import {
  AuthFailedError,
  AuthNotEnabledError,
  InvalidAuthTokenError,
  PermissionDeniedError,
  UserEmptyError,
  CompactedError,
  FutureRevisionError,
  InvalidRequestError,
  KeyNotFoundError,
  type KvError,
  LeaseExistsError,
  LeaseNotFoundError,
  RequestTooLargeError,
  SessionExpiredError,
  TooManyOpsError,
} from '@flotilla/kv';

const table: [RegExp, (message: string) => KvError][] = [
  [
    /required revision has been compacted|revision has been compacted/,
    (m) =>
      new CompactedError(`${m}; read at a newer revision`, { revision: 0, compactRevision: 0 }),
  ],
  [
    /required revision is a future revision/,
    (m) => new FutureRevisionError(`${m}; wait for it or read at revision 0`),
  ],
  [
    /requested lease not found|lease not found/,
    (m) => new LeaseNotFoundError(`${m}; grant a new lease`),
  ],
  [/lease already exists/, (m) => new LeaseExistsError(`${m}; choose another id`)],
  [/key not found/, (m) => new KeyNotFoundError(`${m}; put the key first`)],
  [
    /too many operations in txn request/,
    (m) => new TooManyOpsError(`${m}; split it into several txns`),
  ],
  [/request is too large/, (m) => new RequestTooLargeError(`${m}; send smaller requests`)],
  // Auth refusals (before the catch-all "invalid" below: "invalid auth token" is not bad input).
  [/invalid auth token/, (m) => new InvalidAuthTokenError(m)],
  [/permission denied/, (m) => new PermissionDeniedError(m)],
  [/authentication failed, invalid user ID or password/, (m) => new AuthFailedError(m)],
  // Anchored at the end only: over gRPC the message comes as "3 INVALID_ARGUMENT: etcdserver: …".
  [/etcdserver: user name is empty$/, (m) => new UserEmptyError(m)],
  [/authentication is not enabled/, (m) => new AuthNotEnabledError(m)],
  // Flotilla's own (kv's SessionExpiredError message, as the server's error body carries it).
  [/^session expired: /, (m) => new SessionExpiredError(m)],
  [
    /duplicate key given in txn request|key is not provided|value is provided|invalid/i,
    (m) => new InvalidRequestError(m),
  ],
];

/** The typed error for an etcd error message, or undefined if it is not a store error (transport, leader, auth). */
export function kvErrorFromEtcdMessage(message: string): KvError | undefined {
  for (const [pattern, make] of table) if (pattern.test(message)) return make(message);
  return undefined;
}

/** etcd answers these while it has no leader or the contacted member is not serving: safe to try elsewhere for reads, unknown for writes. */
export function isEtcdUnavailableMessage(message: string): boolean {
  return /no leader|not leader|leader changed|timed out|too many requests|not capable|server stopped|Unavailable/i.test(
    message,
  );
}
