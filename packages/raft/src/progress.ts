// The leader's view of one follower's replication (etcd's Progress):
// probe (one append at a time until the match point is found), replicate
// (optimistic pipelining bounded by an inflight window), snapshot (paused
// until the snapshot is reported or acknowledged).
import { invariant } from './errors.js';
import type { ProgressStatus } from './types.js';

/**
 * Appends in flight to one follower, oldest first: their last indexes and
 * entry bytes. Full at `capacity` appends or `bytesMax` bytes, whichever comes
 * first (bytes: a far-behind follower would otherwise get capacity ×
 * maxMsgBytes — 256 MiB by default — in one burst, more than any transport
 * queue holds).
 */
export class Inflights {
  private readonly lastIndexes: number[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(
    readonly capacity: number,
    readonly bytesMax: number = Infinity,
  ) {}

  add(lastIndex: number, bytes = 0): void {
    invariant(
      !this.full(),
      `inflight window overflow (capacity ${this.capacity}, ${this.bytesMax} bytes)`,
    );
    this.lastIndexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** The follower acknowledged up to `index`: those appends are no longer in flight. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.lastIndexes.length && this.lastIndexes[n]! <= index)
      this.bytes -= this.sizes[n++]!;
    this.lastIndexes.splice(0, n);
    this.sizes.splice(0, n);
  }

  /** Frees the oldest slot: lets a stalled window probe again after lost appends. */
  freeFirstOne(): void {
    this.lastIndexes.shift();
    this.bytes -= this.sizes.shift() ?? 0;
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity || this.bytes >= this.bytesMax;
  }

  count(): number {
    return this.lastIndexes.length;
  }

  /** Entry bytes in flight. */
  inflightBytes(): number {
    return this.bytes;
  }

  reset(): void {
    this.lastIndexes.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
  }
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** In probe state: an append is out; wait for its answer or a heartbeat response. */
  probeSent = false;
  /**
   * Set by each periodic heartbeat; the first heartbeat response after it may
   * re-probe (probe state) or free a stalled window slot (replicate state).
   * Once per heartbeat interval, not once per response: read rounds send
   * heartbeats too, and a burst of their responses (a healed partition, a
   * resumed process) would otherwise resend the same up-to-maxMsgBytes append
   * once per response — a jepsen run saw 1,784 copies of one 1 MiB probe in a
   * single Ready, and the sender's memory went to 5 GiB.
   */
  heartbeatRecoveryDue = false;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflightMsgs: number,
    public isLearner: boolean,
    maxInflightBytes = Infinity,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
  }

  becomeProbe(): void {
    // After a snapshot the follower has at least the snapshot (if it took it).
    this.next =
      this.state === 'snapshot'
        ? Math.max(this.match + 1, this.pendingSnapshot + 1)
        : this.match + 1;
    this.state = 'probe';
    this.pendingSnapshot = 0;
    this.probeSent = false;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.pendingSnapshot = 0;
    this.probeSent = false;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = snapshotIndex;
    this.probeSent = false;
    this.inflights.reset();
  }

  /** A successful append response for `index`. Returns whether match moved. */
  maybeUpdate(index: number): boolean {
    const updated = this.match < index;
    if (updated) {
      this.match = index;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejection of the append at `rejected` with the follower's hint of where
   * the logs may match. Returns false for a stale rejection (already handled).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Bookkeeping after an append carrying entries up to `lastIndex` (or none) was sent. */
  sentAppend(entryCount: number, lastIndex: number, bytes = 0): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  toStatus(): ProgressStatus {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      recentActive: this.recentActive,
      inflight: this.inflights.count(),
      isLearner: this.isLearner,
    };
  }
}
