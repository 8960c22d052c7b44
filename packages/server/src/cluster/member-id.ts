// Member ids derive from member names (FNV-1a, 32 bits): `--name n1` gets the
// same id on every start and on every member, whatever the order of
// --initial-cluster, and `member add n4` can compute the id the new member
// will have before it starts.
export function memberIdOf(name: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}
