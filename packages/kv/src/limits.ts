// Limits and their defaults. Every replica of a cluster must use the same
// values for the apply-side limits: they decide whether a committed entry
// succeeds, so different values would make replicas diverge.

export interface KvLimits {
  /** Largest key. etcd has no key limit beyond the request size; 64 KiB keeps keys index-friendly. */
  keyBytesMax: number;
  /** Largest value: 1.5 MiB, etcd's default request limit. */
  valueBytesMax: number;
  /** Operations per list (compare, success, failure) of one txn, etcd's default. */
  txnOpsMax: number;
  /** Largest encoded command (a raft entry's data). */
  requestBytesMax: number;
  /** Nesting depth of txns inside txns. */
  txnDepthMax: number;
  /** Keys returned by one range; more are signalled with `more` (page with a later key). */
  rangeKeysMax: number;
  /** Key+value bytes returned by one range (at least one key is always returned). */
  rangeBytesMax: number;
  /** Keys a range may sort by VERSION/CREATE/VALUE (those need every record loaded). */
  rangeSortKeysMax: number;
  /** Records read from storage per round trip while serving a range or a watch. */
  readPageKeys: number;
  /** Events a watcher may have waiting for its consumer before it is cancelled as slow. */
  watchBufferEventsMax: number;
  /** Clients remembered for exactly-once writes. */
  clientsMax: number;
  /** A client idle for this many entries is forgotten. */
  clientIdleEntriesMax: number;
  clientIdBytesMax: number;
  /** Lease TTLs are raised to at least this (seconds). */
  leaseTtlMinSeconds: number;
  leaseTtlMaxSeconds: number;
  /** Target size of one snapshot chunk. */
  snapshotChunkBytes: number;
  /** Auth users at most (etcd has no limit). */
  authUsersMax: number;
  /** Auth roles at most. */
  authRolesMax: number;
  /** Permissions per role at most (each is checked on every request of its users). */
  authRolePermsMax: number;
}

export const DEFAULT_LIMITS: Readonly<KvLimits> = Object.freeze({
  keyBytesMax: 64 * 1024,
  valueBytesMax: 1.5 * 1024 * 1024,
  txnOpsMax: 128,
  requestBytesMax: 1.5 * 1024 * 1024 + 64 * 1024,
  txnDepthMax: 8,
  rangeKeysMax: 10_000,
  rangeBytesMax: 16 * 1024 * 1024,
  rangeSortKeysMax: 100_000,
  readPageKeys: 1000,
  watchBufferEventsMax: 10_000,
  clientsMax: 10_000,
  clientIdleEntriesMax: 1_000_000,
  clientIdBytesMax: 256,
  leaseTtlMinSeconds: 1,
  leaseTtlMaxSeconds: 9_000_000_000,
  snapshotChunkBytes: 1024 * 1024,
  authUsersMax: 10_000,
  authRolesMax: 10_000,
  authRolePermsMax: 1_000,
});

export function resolveLimits(partial: Partial<KvLimits> | undefined): KvLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`limit ${name} must be a positive safe integer, got ${String(value)}`);
    }
  }
  return limits;
}
