// The host's copy of the worker node's replicated auth state, so that the
// synchronous `node.auth` view (token checks, permission checks) works on the
// host. The worker sends the whole state whenever its auth revision changes
// (auth changes are rare and small), before the answer of any request that
// applied after it, so a caller that waited for a write or a read barrier sees
// the auth state of that point or later.
import {
  covered,
  intervalOf,
  ROOT_NAME,
  type AuthRole,
  type AuthUser,
  type AuthView,
  type Interval,
} from '@flotilla/kv';
import type { AuthData } from './protocol.js';

export class AuthMirror implements AuthView {
  enabled = false;
  revision = 0;
  signingKey: Uint8Array = new Uint8Array(0);
  private users = new Map<string, AuthUser>();
  private roles = new Map<string, AuthRole>();

  set(data: AuthData): void {
    this.enabled = data.enabled;
    this.revision = data.revision;
    this.signingKey = data.signingKey;
    this.users = new Map(data.users.map((u) => [u.name, u]));
    this.roles = new Map(data.roles.map((r) => [r.name, r]));
  }

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
    return this.users.get(user)?.roles.includes(ROOT_NAME) ?? false;
  }

  permitted(
    user: string,
    wanted: 'READ' | 'WRITE',
    key: Uint8Array,
    rangeEnd?: Uint8Array,
  ): boolean {
    const u = this.users.get(user);
    if (!u) return false;
    if (u.roles.includes(ROOT_NAME)) return true;
    const have: Interval[] = [];
    for (const r of u.roles)
      for (const p of this.roles.get(r)?.perms ?? [])
        if (p.permType === 'READWRITE' || p.permType === wanted)
          have.push(intervalOf(p.key, p.rangeEnd));
    return covered(have, intervalOf(key, rangeEnd));
  }
}

/** The worker side: the auth view as plain data. */
export function authData(view: AuthView): AuthData {
  return {
    enabled: view.enabled,
    revision: view.revision,
    signingKey: view.signingKey,
    users: view.userNames().map((n) => view.user(n)!),
    roles: view.roleNames().map((n) => view.role(n)!),
  };
}
