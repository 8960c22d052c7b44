// The replicated auth state: users, roles, whether auth is on, the auth
// revision and the token signing key. Lives in the KV state's own LevelDB
// section (so it is persisted, in every snapshot and therefore in every
// backup) and changes only by applying auth commands, deterministically.
import { compareBytes } from '../bytes.js';
import type { KvLimits } from '../limits.js';
import {
  InvalidRequestError,
  InvalidAuthMgmtError,
  PermissionNotGrantedError,
  RoleEmptyError,
  RoleExistsError,
  RoleNotFoundError,
  RoleNotGrantedError,
  RootRoleMissingError,
  RootUserMissingError,
  UserEmptyError,
  UserExistsError,
  UserNotFoundError,
  invariant,
} from '../errors.js';
import { packr } from '../layout.js';
import type { Batch } from '../batch.js';
import { covered, intervalOf, permIntervals } from './perms.js';
import {
  ROOT,
  type AuthRequest,
  type AuthRole,
  type AuthUser,
  type Permission,
  type PermType,
} from './types.js';

export const SECTION_AUTH = 0x06;
const META = 0x00;
const USER = 0x01;
const ROLE = 0x02;

export const AUTH_META_KEY = new Uint8Array([SECTION_AUTH, META]);

function recordKey(kind: number, name: string): Uint8Array {
  const n = Buffer.from(name, 'utf8');
  const k = new Uint8Array(2 + n.length);
  k[0] = SECTION_AUTH;
  k[1] = kind;
  k.set(n, 2);
  return k;
}

function comparePerm(
  a: { key: Uint8Array; rangeEnd?: Uint8Array },
  b: { key: Uint8Array; rangeEnd?: Uint8Array },
): number {
  return (
    compareBytes(a.key, b.key) ||
    compareBytes(a.rangeEnd ?? new Uint8Array(0), b.rangeEnd ?? new Uint8Array(0))
  );
}

/** Read-only view of the auth state for the serving side (token checks, gets, lists). */
export interface AuthView {
  readonly enabled: boolean;
  readonly revision: number;
  /** The key tokens are signed with; empty while auth was never enabled. */
  readonly signingKey: Uint8Array;
  user(name: string): Readonly<AuthUser> | undefined;
  role(name: string): Readonly<AuthRole> | undefined;
  userNames(): string[];
  roleNames(): string[];
  isRoot(user: string): boolean;
  /** Whether `user` may READ or WRITE every key of [key, rangeEnd) (etcd's rules for rangeEnd). */
  permitted(
    user: string,
    wanted: 'READ' | 'WRITE',
    key: Uint8Array,
    rangeEnd?: Uint8Array,
  ): boolean;
}

export class AuthStore implements AuthView {
  enabled = false;
  revision = 0;
  signingKey: Uint8Array = new Uint8Array(0);
  private readonly users = new Map<string, AuthUser>();
  private readonly roles = new Map<string, AuthRole>();

  user(name: string): AuthUser | undefined {
    return this.users.get(name);
  }

  role(name: string): AuthRole | undefined {
    return this.roles.get(name);
  }

  userNames(): string[] {
    return [...this.users.keys()].sort();
  }

  roleNames(): string[] {
    return [...this.roles.keys()].sort();
  }

  isRoot(user: string): boolean {
    return this.users.get(user)?.roles.includes(ROOT) ?? false;
  }

  permitted(
    user: string,
    wanted: 'READ' | 'WRITE',
    key: Uint8Array,
    rangeEnd?: Uint8Array,
  ): boolean {
    const u = this.users.get(user);
    if (!u) return false;
    if (u.roles.includes(ROOT)) return true;
    const have = u.roles.flatMap((r) => permIntervals(this.roles.get(r)?.perms ?? [], wanted));
    return covered(have, intervalOf(key, rangeEnd));
  }

  // ---- loading -----------------------------------------------------------

  /** Takes one stored record of the auth section (open, restore). */
  load(key: Uint8Array, value: Uint8Array): void {
    const kind = key[1];
    const v = packr.unpack(value) as unknown[];
    if (kind === META) {
      this.enabled = v[0] === 1;
      this.revision = v[1] as number;
      this.signingKey = Uint8Array.from(v[2] as Uint8Array);
    } else if (kind === USER) {
      const [name, password, roles, epoch] = v as [string, Uint8Array | null, string[], number];
      this.users.set(name, {
        name,
        ...(password ? { password: Uint8Array.from(password) } : {}),
        roles,
        epoch,
      });
    } else {
      invariant(kind === ROLE, `unknown auth record kind ${String(kind)}: corrupt kv state`);
      const [name, perms] = v as [string, [PermType, Uint8Array, Uint8Array | null][]];
      const decoded = perms.map(([permType, k, end]) => ({
        permType,
        key: Uint8Array.from(k),
        ...(end ? { rangeEnd: Uint8Array.from(end) } : {}),
      }));
      this.roles.set(name, { name, perms: decoded });
    }
  }

  // ---- applying ----------------------------------------------------------

  /** Applies one auth command, writing what changed to `batch`; refusals throw KvErrors (nothing changed). */
  apply(req: AuthRequest, batch: Batch, limits: KvLimits): void {
    this.checkLimits(req, limits);
    switch (req.kind) {
      case 'enable': {
        if (this.enabled) return; // etcd: enabling twice is not an error
        const root = this.users.get(ROOT);
        if (!root) throw new RootUserMissingError();
        if (!root.roles.includes(ROOT)) throw new RootRoleMissingError();
        this.enabled = true;
        this.signingKey = Uint8Array.from(req.signingKey);
        return this.bump(batch);
      }
      case 'disable':
        if (!this.enabled) return;
        this.enabled = false;
        return this.bump(batch);
      case 'userAdd': {
        if (req.name.length === 0) throw new UserEmptyError();
        if (this.users.has(req.name)) throw new UserExistsError();
        this.bump(batch);
        const user: AuthUser = {
          name: req.name,
          ...(req.password && !req.noPassword ? { password: req.password } : {}),
          roles: [],
          epoch: this.revision,
        };
        return this.putUser(user, batch);
      }
      case 'userDelete': {
        if (this.enabled && req.name === ROOT) throw new InvalidAuthMgmtError();
        if (!this.users.delete(req.name)) throw new UserNotFoundError();
        batch.del(recordKey(USER, req.name));
        return this.bump(batch);
      }
      case 'userChangePassword': {
        const user = this.mustUser(req.name);
        this.bump(batch);
        return this.putUser({ ...user, password: req.password, epoch: this.revision }, batch);
      }
      case 'userGrantRole': {
        const user = this.mustUser(req.user);
        if (req.role !== ROOT && !this.roles.has(req.role)) throw new RoleNotFoundError();
        if (user.roles.includes(req.role)) return; // etcd: granting twice is not an error
        this.bump(batch);
        return this.putUser({ ...user, roles: [...user.roles, req.role].sort() }, batch);
      }
      case 'userRevokeRole': {
        if (this.enabled && req.name === ROOT && req.role === ROOT)
          throw new InvalidAuthMgmtError();
        const user = this.mustUser(req.name);
        if (!user.roles.includes(req.role)) throw new RoleNotGrantedError();
        this.bump(batch);
        // The epoch moves too: tokens issued before a revocation stop working.
        return this.putUser(
          { ...user, roles: user.roles.filter((r) => r !== req.role), epoch: this.revision },
          batch,
        );
      }
      case 'roleAdd': {
        if (req.name.length === 0) throw new RoleEmptyError();
        if (this.roles.has(req.name)) throw new RoleExistsError();
        this.putRole({ name: req.name, perms: [] }, batch);
        return this.bump(batch);
      }
      case 'roleDelete': {
        if (this.enabled && req.role === ROOT) throw new InvalidAuthMgmtError();
        if (!this.roles.delete(req.role)) throw new RoleNotFoundError();
        batch.del(recordKey(ROLE, req.role));
        this.bump(batch);
        // As etcd: every user loses the role (in name order, so every replica writes the same batch).
        for (const name of this.userNames()) {
          const user = this.users.get(name)!;
          if (user.roles.includes(req.role))
            this.putUser(
              { ...user, roles: user.roles.filter((r) => r !== req.role), epoch: this.revision },
              batch,
            );
        }
        return;
      }
      case 'roleGrantPermission': {
        const role = this.mustRole(req.name);
        const perms = role.perms.filter((p) => comparePerm(p, req.perm) !== 0);
        perms.push(req.perm);
        perms.sort(comparePerm);
        this.putRole({ name: role.name, perms }, batch);
        return this.bump(batch);
      }
      case 'roleRevokePermission': {
        const role = this.mustRole(req.role);
        const target = { key: req.key, ...(req.rangeEnd ? { rangeEnd: req.rangeEnd } : {}) };
        const perms = role.perms.filter((p) => comparePerm(p, target) !== 0);
        if (perms.length === role.perms.length) throw new PermissionNotGrantedError();
        this.putRole({ name: role.name, perms }, batch);
        return this.bump(batch);
      }
    }
  }

  private checkLimits(req: AuthRequest, limits: KvLimits): void {
    const full = (what: string, max: number, name: string): never => {
      throw new InvalidRequestError(
        `${what} has reached its limit of ${max} (${name}); delete some first`,
      );
    };
    if (
      req.kind === 'userAdd' &&
      !this.users.has(req.name) &&
      this.users.size >= limits.authUsersMax
    )
      full('the user list', limits.authUsersMax, 'authUsersMax');
    if (
      req.kind === 'roleAdd' &&
      !this.roles.has(req.name) &&
      this.roles.size >= limits.authRolesMax
    )
      full('the role list', limits.authRolesMax, 'authRolesMax');
    if (req.kind === 'roleGrantPermission') {
      const role = this.roles.get(req.name);
      if (
        role &&
        role.perms.length >= limits.authRolePermsMax &&
        !role.perms.some((p) => comparePerm(p, req.perm) === 0)
      ) {
        full(`role ${req.name}`, limits.authRolePermsMax, 'authRolePermsMax');
      }
    }
  }

  private mustUser(name: string): AuthUser {
    const user = this.users.get(name);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  private mustRole(name: string): AuthRole {
    const role = this.roles.get(name);
    if (!role) throw new RoleNotFoundError();
    return role;
  }

  private bump(batch: Batch): void {
    this.revision++;
    batch.put(AUTH_META_KEY, packr.pack([this.enabled ? 1 : 0, this.revision, this.signingKey]));
  }

  private putUser(user: AuthUser, batch: Batch): void {
    this.users.set(user.name, user);
    batch.put(
      recordKey(USER, user.name),
      packr.pack([user.name, user.password ?? null, user.roles, user.epoch]),
    );
  }

  private putRole(role: AuthRole, batch: Batch): void {
    this.roles.set(role.name, role);
    batch.put(
      recordKey(ROLE, role.name),
      packr.pack([
        role.name,
        role.perms.map((p: Permission) => [p.permType, p.key, p.rangeEnd ?? null]),
      ]),
    );
  }
}
