// The set of operations linearized so far, with an incremental 64-bit
// Zobrist hash so the memo cache can bucket (set, state) pairs without
// rebuilding a key from every word on each step. Hash equality is only a
// bucket: membership is confirmed by comparing the words exactly, because a
// false cache hit would prune a valid path and report a false violation.

import { seededRng } from '@flotilla/raft';

export class OpSet {
  readonly words: Uint32Array;
  #hashHi = 0;
  #hashLo = 0;
  readonly #zHi: Uint32Array;
  readonly #zLo: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
    this.#zHi = new Uint32Array(size);
    this.#zLo = new Uint32Array(size);
    // A fixed seed: the hash is an implementation detail and must be reproducible.
    const rng = seededRng(0x5eed);
    for (let i = 0; i < size; i++) {
      this.#zHi[i] = Math.floor(rng.next() * 0x1_0000_0000);
      this.#zLo[i] = Math.floor(rng.next() * 0x1_0000_0000);
    }
  }

  has(i: number): boolean {
    return ((this.words[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0;
  }

  /** Adds or removes `i` (toggle); callers keep add/remove paired. */
  toggle(i: number): void {
    const w = i >>> 5;
    this.words[w] = (this.words[w] ?? 0) ^ (1 << (i & 31));
    this.#hashHi = (this.#hashHi ^ (this.#zHi[i] ?? 0)) >>> 0;
    this.#hashLo = (this.#hashLo ^ (this.#zLo[i] ?? 0)) >>> 0;
  }

  hashKey(): string {
    return `${this.#hashHi.toString(36)}.${this.#hashLo.toString(36)}`;
  }

  equalsWords(other: Uint32Array): boolean {
    for (let i = 0; i < this.words.length; i++) if (this.words[i] !== other[i]) return false;
    return true;
  }
}
