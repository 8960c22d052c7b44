// For test doubles of ServedNode: the auth state of a cluster that never enabled auth.
import type { AuthView } from '@flotilla/kv';

export const DISABLED_AUTH: AuthView = {
  enabled: false,
  revision: 0,
  signingKey: new Uint8Array(0),
  user: () => undefined,
  role: () => undefined,
  userNames: () => [],
  roleNames: () => [],
  isRoot: () => false,
  permitted: () => false,
};
