// Auth state and commands, as etcd v3's auth API (users, roles, key-range
// permissions, the root user and role). Passwords reach the state machine
// already hashed (the member receiving the request hashes before proposing),
// as opaque bytes: apply never runs a slow hash and stays deterministic.

export type PermType = 'READ' | 'WRITE' | 'READWRITE';

/** etcd's Permission: `rangeEnd` absent = the key alone; a single zero byte = every key ≥ key. */
export interface Permission {
  permType: PermType;
  key: Uint8Array;
  rangeEnd?: Uint8Array;
}

export interface AuthUser {
  name: string;
  /** Opaque encoded hash (the server's format); absent for a user added with noPassword. */
  password?: Uint8Array;
  /** Sorted role names. */
  roles: string[];
  /**
   * The auth revision of the user's last add, password change or role
   * revocation: a token issued at an earlier auth revision is no longer valid.
   */
  epoch: number;
}

export interface AuthRole {
  name: string;
  /** Sorted by key, then rangeEnd; one entry per (key, rangeEnd). */
  perms: Permission[];
}

export type AuthRequest =
  /** `signingKey`: fresh random bytes chosen by the proposing member; tokens are signed with it until auth is enabled again. */
  | { kind: 'enable'; signingKey: Uint8Array }
  | { kind: 'disable' }
  | { kind: 'userAdd'; name: string; password?: Uint8Array; noPassword?: boolean }
  | { kind: 'userDelete'; name: string }
  | { kind: 'userChangePassword'; name: string; password: Uint8Array }
  | { kind: 'userGrantRole'; user: string; role: string }
  | { kind: 'userRevokeRole'; name: string; role: string }
  | { kind: 'roleAdd'; name: string }
  | { kind: 'roleDelete'; role: string }
  | { kind: 'roleGrantPermission'; name: string; perm: Permission }
  | { kind: 'roleRevokePermission'; role: string; key: Uint8Array; rangeEnd?: Uint8Array };

export type AuthKind = AuthRequest['kind'];

/**
 * Who sent a write, as the member that received it saw the caller. Absent on
 * an envelope: an in-process caller (the embedded client, the node's own
 * lease expiry), never checked. Present: a caller from the network; with
 * auth enabled at apply time it must name a user whose epoch is not after
 * `tokenRevision` and who holds the permissions the command needs.
 */
export interface AuthContext {
  user?: string;
  /** The auth revision at which the caller's token was issued. */
  tokenRevision?: number;
}

export const ROOT = 'root';
