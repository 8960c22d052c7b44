// Lease ids chosen by the client (remote and etcd backends). etcd picks
// random int64 ids, which JavaScript numbers cannot hold exactly; choosing a
// random id below 2^52 keeps ids exact and makes a grant safe to retry.

const LEASE_ID_MAX = 2 ** 52;

export function randomLeaseId(random: () => number): number {
  return 1 + Math.floor(random() * (LEASE_ID_MAX - 1));
}
