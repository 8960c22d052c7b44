// Linearizable reads waiting on this node. Reads that arrive between two Raft
// batches share ONE read-index round (one heartbeat quorum); once the round
// is confirmed at index i, they are served as soon as applied ≥ i. Everything
// is bounded by count and by deadline.
import { RequestTimeoutError } from './errors.js';

export interface PendingRead {
  readonly deadlineMs: number;
  /** Called once applied ≥ the read point: the read may now run on local state. */
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

interface Round {
  readonly issuedAtMs: number;
  readonly reads: PendingRead[];
}

export class Reads {
  private queue: PendingRead[] = [];
  private readonly rounds = new Map<string, Round>();
  /** Confirmed reads waiting for apply, in ascending index order. */
  private waiting: { index: number; reads: PendingRead[] }[] = [];
  private nextRound = 1;
  private count = 0;

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.count;
  }

  get queued(): number {
    return this.queue.length;
  }

  enqueue(read: PendingRead): void {
    this.queue.push(read);
    this.count++;
  }

  /** Moves every queued read into a new round and returns its context. */
  startRound(nowMs: number): string | undefined {
    if (this.queue.length === 0) return undefined;
    const ctx = `r${this.nextRound++}`;
    this.rounds.set(ctx, { issuedAtMs: nowMs, reads: this.queue });
    this.queue = [];
    return ctx;
  }

  /** The round could not be started: its reads wait for the next chance. */
  unstart(ctx: string): void {
    const round = this.rounds.get(ctx);
    if (round === undefined) return;
    this.rounds.delete(ctx);
    this.queue = [...round.reads, ...this.queue];
  }

  /** The round `ctx` is confirmed at `index`; returns when it was issued (for the leader lease), if it was ours. */
  confirmed(ctx: string, index: number): number | undefined {
    const round = this.rounds.get(ctx);
    if (round === undefined) return undefined;
    this.rounds.delete(ctx);
    this.waitFor(index, round.reads, false);
    return round.issuedAtMs;
  }

  /** Reads that need only the local applied index to reach `index` (lease reads). */
  waitFor(index: number, reads: PendingRead[], fresh = true): void {
    if (fresh) this.count += reads.length;
    let at = this.waiting.length;
    while (at > 0 && this.waiting[at - 1]!.index > index) at--;
    const same = this.waiting[at - 1];
    if (same?.index === index) same.reads.push(...reads);
    else this.waiting.splice(at, 0, { index, reads });
  }

  /** Fails the reads of round `ctx`. */
  fail(ctx: string, err: Error): void {
    const round = this.rounds.get(ctx);
    if (round === undefined) return;
    this.rounds.delete(ctx);
    this.count -= round.reads.length;
    for (const r of round.reads) r.reject(err);
  }

  /** The leader gave up on `ctx` (or changed): its reads go back in the queue for a new round. */
  retry(ctx: string): void {
    this.unstart(ctx);
  }

  /** A leader change: rounds in flight may never be answered; ask again. */
  retryAll(): void {
    for (const ctx of [...this.rounds.keys()]) this.unstart(ctx);
  }

  /** Serves every read whose point is applied. */
  release(applied: number): void {
    let n = 0;
    while (n < this.waiting.length && this.waiting[n]!.index <= applied) n++;
    if (n === 0) return;
    const done = this.waiting.slice(0, n);
    this.waiting = this.waiting.slice(n);
    for (const group of done) {
      this.count -= group.reads.length;
      for (const r of group.reads) r.resolve();
    }
  }

  sweep(nowMs: number): void {
    const expired = (r: PendingRead): boolean => r.deadlineMs <= nowMs;
    const fail = (list: PendingRead[]): PendingRead[] => {
      const keep: PendingRead[] = [];
      for (const r of list) {
        if (expired(r)) {
          this.count--;
          r.reject(new RequestTimeoutError('linearizable read', this.timeoutMs));
        } else {
          keep.push(r);
        }
      }
      return keep;
    };
    this.queue = fail(this.queue);
    for (const [ctx, round] of this.rounds) {
      const keep = fail(round.reads);
      if (keep.length === 0) this.rounds.delete(ctx);
      else this.rounds.set(ctx, { issuedAtMs: round.issuedAtMs, reads: keep });
    }
    this.waiting = this.waiting.map((g) => ({ index: g.index, reads: fail(g.reads) })).filter((g) => g.reads.length > 0);
  }

  failAll(make: () => Error): void {
    const all = [...this.queue, ...[...this.rounds.values()].flatMap((r) => r.reads), ...this.waiting.flatMap((g) => g.reads)];
    this.queue = [];
    this.rounds.clear();
    this.waiting = [];
    this.count = 0;
    for (const r of all) r.reject(make());
  }
}
