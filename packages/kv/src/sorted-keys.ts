// An ordered set of keys: a list of sorted chunks. Insert and remove cost
// O(log n + chunk size) instead of O(n) for one big sorted array, which
// matters once the keyspace reaches hundreds of thousands of keys.

const CHUNK_MAX = 512;

export class SortedKeys {
  private chunks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Replaces the contents with `sorted` (ascending, unique). */
  load(sorted: string[]): void {
    this.chunks = [];
    for (let i = 0; i < sorted.length; i += CHUNK_MAX / 2)
      this.chunks.push(sorted.slice(i, i + CHUNK_MAX / 2));
    this.count = sorted.length;
  }

  /** Index of the first chunk whose last key is ≥ key (chunks.length if none). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (chunk[chunk.length - 1]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(key: string): void {
    let c = this.chunkFor(key);
    if (c === this.chunks.length) {
      if (c === 0) {
        this.chunks.push([key]);
        this.count++;
        return;
      }
      c--;
    }
    const chunk = this.chunks[c]!;
    const at = lowerBound(chunk, key);
    if (chunk[at] === key) return;
    chunk.splice(at, 0, key);
    this.count++;
    if (chunk.length > CHUNK_MAX) this.chunks.splice(c + 1, 0, chunk.splice(CHUNK_MAX / 2));
  }

  remove(key: string): void {
    const c = this.chunkFor(key);
    const chunk = this.chunks[c];
    if (!chunk) return;
    const at = lowerBound(chunk, key);
    if (chunk[at] !== key) return;
    chunk.splice(at, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
  }

  /** Keys in [from, to) ascending; `to` undefined means no upper bound. */
  *range(from: string, to: string | undefined): Generator<string> {
    let c = this.chunkFor(from);
    if (c >= this.chunks.length) return;
    let i = lowerBound(this.chunks[c]!, from);
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) {
        const key = chunk[i]!;
        if (to !== undefined && key >= to) return;
        yield key;
      }
    }
  }
}

export function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
