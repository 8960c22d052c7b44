// Password hashing with scrypt (node:crypto) and a random per-user salt. The
// member that receives a user add or password change hashes before proposing,
// so the Raft log, the state, snapshots and backups hold only the hash, and
// apply never runs a slow function. Encoded as text so the format can change:
// `scrypt$N$r$p$salt(base64)$hash(base64)`.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** N = 2^14, r = 8, p = 1: about 16 MiB and tens of milliseconds per hash (the parameters RFC 7914 suggests for interactive logins). */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

function derive(password: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, HASH_BYTES, { ...params, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<Uint8Array> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = SCRYPT_PARAMS;
  const hash = await derive(password, salt, { N, r, p });
  return new TextEncoder().encode(
    `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`,
  );
}

/** A stored hash the login of an unknown user is checked against, so both take the same time. */
let decoy: Promise<Uint8Array> | undefined;

/** Whether `password` matches `stored` (undefined: an unknown user or one without a password; still costs one hash). */
export async function verifyPassword(
  password: string,
  stored: Uint8Array | undefined,
): Promise<boolean> {
  const record = stored ?? (await (decoy ??= hashPassword('\0decoy')));
  const parts = new TextDecoder().decode(record).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const actual = await derive(password, salt, { N, r, p });
  return (
    stored !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected)
  );
}
