// When the leader saw each commit index advance: a bounded ring of
// (index, time) points, oldest first. A follower's applied index i was
// committed at the time of the first point with index ≥ i.
export class CommitTimes {
  private readonly indexes: Float64Array;
  private readonly times: Float64Array;
  private start = 0;
  private size = 0;
  /** Indexes ≤ base were committed before the oldest point we hold: their time is unknown. */
  private base = 0;

  constructor(readonly capacity: number) {
    this.indexes = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  record(index: number, timeMs: number): void {
    const last = this.size > 0 ? this.indexes[(this.start + this.size - 1) % this.capacity]! : -1;
    if (index <= last) return;
    if (this.size === this.capacity) {
      this.base = this.indexes[this.start]!;
      this.start = (this.start + 1) % this.capacity;
      this.size--;
    }
    const at = (this.start + this.size) % this.capacity;
    this.indexes[at] = index;
    this.times[at] = timeMs;
    this.size++;
  }

  /** The time `index` was committed, or undefined if it is older than the ring or not yet committed. */
  commitTimeOf(index: number): number | undefined {
    if (this.size === 0 || index <= this.base) return undefined;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.indexes[(this.start + mid) % this.capacity]! >= index) hi = mid;
      else lo = mid + 1;
    }
    return lo === this.size ? undefined : this.times[(this.start + lo) % this.capacity];
  }

  /** Forgets every point; indexes ≤ `committedIndex` (committed before now) get no time. */
  reset(committedIndex: number): void {
    this.start = 0;
    this.size = 0;
    this.base = committedIndex;
  }
}
