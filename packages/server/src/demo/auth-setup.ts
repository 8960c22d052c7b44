// `pnpm demo --secure`: after TLS, authentication. The demo creates root
// (holding the root role) and a user `demo` whose role may read and write
// only the keys under demo/, enables auth, and from then on makes every
// request with demo's token (Flotilla tokens are valid on every member for
// 300 s, longer than the demo runs). Passwords are made at random per run.
import { randomBytes } from 'node:crypto';
import type { ProcessMember } from './process-cluster.js';
import { b64, post, useToken } from './probe.js';

export const DEMO_USER = 'demo';
export const DEMO_PREFIX = 'demo/';

export interface DemoCredentials {
  readonly rootPassword: string;
  readonly user: string;
  readonly password: string;
}

export function demoCredentials(): DemoCredentials {
  return {
    rootPassword: randomBytes(9).toString('base64url'),
    user: DEMO_USER,
    password: randomBytes(9).toString('base64url'),
  };
}

/** Users, the role, auth enable (through `member`), then logs in as the demo user. */
export async function enableAuth(
  member: ProcessMember,
  creds: DemoCredentials,
  print: (line: string) => void,
): Promise<void> {
  const call = (path: string, body: unknown): Promise<Record<string, unknown>> =>
    post(member.clientUrl, path, body, 5_000);
  await call('/v3/auth/user/add', { name: 'root', password: creds.rootPassword });
  await call('/v3/auth/user/grant', { user: 'root', role: 'root' });
  await call('/v3/auth/user/add', { name: creds.user, password: creds.password });
  await call('/v3/auth/role/add', { name: creds.user });
  // The prefix as a range: [demo/, demo0).
  await call('/v3/auth/role/grant', {
    name: creds.user,
    perm: { permType: 'READWRITE', key: b64(DEMO_PREFIX), range_end: b64('demo0') },
  });
  await call('/v3/auth/user/grant', { user: creds.user, role: creds.user });
  await call('/v3/auth/enable', {});
  const login = await call('/v3/auth/authenticate', { name: creds.user, password: creds.password });
  useToken(String(login['token']));
  print(
    `   auth enabled: users root and ${creds.user} (role ${creds.user}: readwrite on ${DEMO_PREFIX}*); the demo now writes as ${creds.user}`,
  );
}
