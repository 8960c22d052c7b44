// The identity of an entry for the safety checks: two entries are "the same"
// when their index, term and content are. Keys are strings so they compare
// with ===, and a 32-bit FNV-1a chain over keys identifies a whole applied
// prefix, which is how a snapshot (which carries no entries) is checked.
import type { Entry } from '@flotilla/raft';

const decoder = new TextDecoder();

/** Term and content of an entry (the index is where it is stored). */
export function entryKey(e: Entry): string {
  if (e.type === 'normal') return `n${e.term}:${decoder.decode(e.data)}`;
  return `c${e.term}:${JSON.stringify(e.change)}`;
}

/** The chain value of an empty applied prefix. */
export const CHAIN_START = 0x811c9dc5;

/** The chain value after applying an entry with `key` on top of `prev`. */
export function chainNext(prev: number, key: string): number {
  let h = prev >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A separator so that "ab"+"c" and "a"+"bc" chain differently.
  h ^= 0xff;
  return Math.imul(h, 0x01000193) >>> 0;
}
