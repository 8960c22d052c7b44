// Typed errors. Expected failures are data in an ApplyResult, never throws
// out of apply; each carries its fields so it can be persisted in the
// exactly-once client table and rebuilt byte-for-byte on every replica.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

export type KvErrorName =
  | 'KeyTooLargeError'
  | 'ValueTooLargeError'
  | 'TooManyOpsError'
  | 'RequestTooLargeError'
  | 'CompactedError'
  | 'FutureRevisionError'
  | 'LeaseNotFoundError'
  | 'LeaseExistsError'
  | 'KeyNotFoundError'
  | 'InvalidRequestError'
  | 'StaleSequenceError'
  | 'SessionExpiredError'
  | AuthErrorName;

/** What a KvError looks like as plain data (for persistence and the wire). */
export interface KvErrorData {
  readonly name: KvErrorName;
  readonly message: string;
  readonly fields: Readonly<Record<string, number>>;
}

export abstract class KvError extends FlotillaError {
  /**
   * A refusal of the request as sent: the same request fails again. That holds
   * for SessionExpiredError too (nothing was applied, but the id is gone: a
   * retry needs a new id).
   */
  readonly category: ErrorCategory = 'badInput';
  abstract override readonly name: KvErrorName;
  /** Numeric details (sizes, revisions, ids) a caller can act on. */
  readonly fields: Readonly<Record<string, number>>;
  constructor(message: string, fields: Record<string, number> = {}) {
    super(message);
    this.fields = fields;
  }
  toData(): KvErrorData {
    return { name: this.name, message: this.message, fields: { ...this.fields } };
  }
}

export class KeyTooLargeError extends KvError {
  override readonly name = 'KeyTooLargeError';
  static of(bytes: number, max: number): KeyTooLargeError {
    return new KeyTooLargeError(
      `key is ${bytes} bytes, more than the limit of ${max} bytes (keyBytesMax); use a shorter key`,
      { bytes, max },
    );
  }
}

export class ValueTooLargeError extends KvError {
  override readonly name = 'ValueTooLargeError';
  static of(bytes: number, max: number): ValueTooLargeError {
    return new ValueTooLargeError(
      `value is ${bytes} bytes, more than the limit of ${max} bytes (valueBytesMax); split the value over several keys`,
      { bytes, max },
    );
  }
}

export class TooManyOpsError extends KvError {
  override readonly name = 'TooManyOpsError';
  static of(ops: number, max: number): TooManyOpsError {
    return new TooManyOpsError(
      `txn has ${ops} operations in one list, more than the limit of ${max} (txnOpsMax); split it into several txns`,
      { ops, max },
    );
  }
}

export class RequestTooLargeError extends KvError {
  override readonly name = 'RequestTooLargeError';
  static of(bytes: number, max: number): RequestTooLargeError {
    return new RequestTooLargeError(
      `request is ${bytes} bytes encoded, more than the limit of ${max} bytes (requestBytesMax); send smaller requests`,
      { bytes, max },
    );
  }
}

export class CompactedError extends KvError {
  override readonly name = 'CompactedError';
  static of(revision: number, compactRevision: number): CompactedError {
    return new CompactedError(
      `revision ${revision} has been compacted (history is kept after revision ${compactRevision}); read at a newer revision`,
      { revision, compactRevision },
    );
  }
  get compactRevision(): number {
    return this.fields['compactRevision'] ?? 0;
  }
}

export class FutureRevisionError extends KvError {
  override readonly name = 'FutureRevisionError';
  static of(revision: number, current: number): FutureRevisionError {
    return new FutureRevisionError(
      `revision ${revision} is in the future (current revision is ${current}); wait for it or read at revision 0`,
      { revision, current },
    );
  }
}

export class LeaseNotFoundError extends KvError {
  override readonly name = 'LeaseNotFoundError';
  static of(id: number): LeaseNotFoundError {
    return new LeaseNotFoundError(
      `lease ${id} not found (never granted, revoked or expired); grant a new lease`,
      { id },
    );
  }
}

export class LeaseExistsError extends KvError {
  override readonly name = 'LeaseExistsError';
  static of(id: number): LeaseExistsError {
    return new LeaseExistsError(
      `lease ${id} already exists; choose another id or pass 0 to have one assigned`,
      { id },
    );
  }
}

export class KeyNotFoundError extends KvError {
  override readonly name = 'KeyNotFoundError';
  static of(what: string): KeyNotFoundError {
    return new KeyNotFoundError(`key not found: ${what} needs an existing key; put the key first`);
  }
}

export class InvalidRequestError extends KvError {
  override readonly name = 'InvalidRequestError';
}

export class StaleSequenceError extends KvError {
  override readonly name = 'StaleSequenceError';
  static of(seq: number, last: number): StaleSequenceError {
    return new StaleSequenceError(
      `sequence ${seq} is older than the last applied sequence ${last} for this client; its response is no longer kept, do not retry it`,
      { seq, last },
    );
  }
}

/**
 * The exactly-once table no longer remembers this client (evicted: idle too
 * long or beyond clientsMax), so a retry could not be told from a new write.
 * Nothing was applied by this request; an earlier attempt of it may have been.
 */
export class SessionExpiredError extends KvError {
  override readonly name = 'SessionExpiredError';
  static of(clientId: string, seq: number): SessionExpiredError {
    return new SessionExpiredError(
      `session expired: client ${JSON.stringify(clientId)} is no longer remembered by the exactly-once table (evicted: idle for clientIdleEntriesMax entries or beyond clientsMax clients), so sequence ${seq} was not applied; an earlier attempt of it may have been: read before repeating it, and start a new client id (a register command at seq 1, writes from seq 2)`,
      { seq },
    );
  }

  /** A write at seq 1 from an id the table does not hold: it may be an evicted client's retry of its first write. */
  static unregistered(clientId: string): SessionExpiredError {
    return new SessionExpiredError(
      `session expired or never started: client ${JSON.stringify(clientId)} is not in the exactly-once table and sent a write at sequence 1, which may be the retry of a write applied before the table evicted the id; it was not applied. Start a session with a register command ({ op: 'register' }) at seq 1 and number writes from seq 2; after this error read before repeating the write, and use a new client id`,
      { seq: 1 },
    );
  }
}

// ---- authentication and authorization --------------------------------------
// Each refusal carries etcd's own text as its message (tools and clients
// match on it); the server maps each name to etcd's gRPC code. They are
// KvErrors: an auth command refused at apply is a result like any other,
// remembered by the exactly-once table and rebuilt by name.

export const AUTH_MESSAGES = {
  UserEmptyError: 'etcdserver: user name is empty',
  UserExistsError: 'etcdserver: user name already exists',
  UserNotFoundError: 'etcdserver: user name not found',
  RoleEmptyError: 'etcdserver: role name is empty',
  RoleExistsError: 'etcdserver: role name already exists',
  RoleNotFoundError: 'etcdserver: role name not found',
  RoleNotGrantedError: 'etcdserver: role is not granted to the user',
  PermissionNotGrantedError: 'etcdserver: permission is not granted to the role',
  RootUserMissingError: 'etcdserver: root user does not exist',
  RootRoleMissingError: 'etcdserver: root user does not have root role',
  InvalidAuthMgmtError: 'etcdserver: invalid auth management',
  AuthNotEnabledError: 'etcdserver: authentication is not enabled',
  PermissionDeniedError: 'etcdserver: permission denied',
  InvalidAuthTokenError: 'etcdserver: invalid auth token',
  AuthFailedError: 'etcdserver: authentication failed, invalid user ID or password',
} as const;

export type AuthErrorName = keyof typeof AUTH_MESSAGES;

/** One class per refusal, named as the map above; `new X()` gets etcd's text. */
export abstract class AuthError extends KvError {
  abstract override readonly name: AuthErrorName;
}

function define<N extends AuthErrorName>(
  name: N,
): new (
  message?: string,
  fields?: Record<string, number>,
) => AuthError {
  const C = class extends AuthError {
    override readonly name = name;
    constructor(message: string = AUTH_MESSAGES[name], fields: Record<string, number> = {}) {
      super(message, fields);
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  return C;
}

export const UserEmptyError = define('UserEmptyError');
export const UserExistsError = define('UserExistsError');
export const UserNotFoundError = define('UserNotFoundError');
export const RoleEmptyError = define('RoleEmptyError');
export const RoleExistsError = define('RoleExistsError');
export const RoleNotFoundError = define('RoleNotFoundError');
export const RoleNotGrantedError = define('RoleNotGrantedError');
export const PermissionNotGrantedError = define('PermissionNotGrantedError');
export const RootUserMissingError = define('RootUserMissingError');
export const RootRoleMissingError = define('RootRoleMissingError');
export const InvalidAuthMgmtError = define('InvalidAuthMgmtError');
export const AuthNotEnabledError = define('AuthNotEnabledError');
export const PermissionDeniedError = define('PermissionDeniedError');
export const InvalidAuthTokenError = define('InvalidAuthTokenError');
export const AuthFailedError = define('AuthFailedError');

export const AUTH_ERRORS: Record<
  AuthErrorName,
  new (
    message?: string,
    fields?: Record<string, number>,
  ) => KvError
> = {
  UserEmptyError,
  UserExistsError,
  UserNotFoundError,
  RoleEmptyError,
  RoleExistsError,
  RoleNotFoundError,
  RoleNotGrantedError,
  PermissionNotGrantedError,
  RootUserMissingError,
  RootRoleMissingError,
  InvalidAuthMgmtError,
  AuthNotEnabledError,
  PermissionDeniedError,
  InvalidAuthTokenError,
  AuthFailedError,
};

const constructors: Record<
  KvErrorName,
  new (
    message: string,
    fields?: Record<string, number>,
  ) => KvError
> = {
  KeyTooLargeError,
  ValueTooLargeError,
  TooManyOpsError,
  RequestTooLargeError,
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  LeaseExistsError,
  KeyNotFoundError,
  InvalidRequestError,
  StaleSequenceError,
  SessionExpiredError,
  ...AUTH_ERRORS,
};

export function errorFromData(data: KvErrorData): KvError {
  const Ctor = constructors[data.name] ?? InvalidRequestError;
  return new Ctor(data.message, { ...data.fields });
}

/**
 * A write of the KV state failed earlier (EIO, a full disk): the state machine
 * refuses everything after it, since its memory is ahead of its storage.
 * Reopen it once the cause is fixed; the Raft log replays what was lost.
 */
export class KvWriteFailedError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'KvWriteFailedError';
}

/** An invariant of the state machine was broken: a bug or corrupt storage, not bad input. */
export class KvInvariantError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'KvInvariantError';
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new KvInvariantError(message);
}
