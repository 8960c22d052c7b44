// Linearizable reads waiting on this node. Reads that arrive between two Raft
// batches share ONE read-index round (one heartbeat quorum); once the round
// is confirmed at index i, they are served as soon as applied ≥ i. Everything
// is bounded by count and by deadline.
//
// A round's context names this node's incarnation as well as the round
// (`<incarnation>.<n>`): rounds are numbered from 1 in every life of the node,
// and a read-index answer meant for its previous life (still queued in a link
// or a leader when it restarted) must not confirm a new read at an old index.
import { RequestTimeoutError } from './errors.js';
import { incarnationTag } from './forwarder.js';

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
  /** By round number. */
  private readonly rounds = new Map<number, Round>();
  /** Confirmed reads waiting for apply, in ascending index order. */
  private waiting: { index: number; reads: PendingRead[] }[] = [];
  private nextRound = 1;
  private count = 0;

  private readonly tag: string;

  constructor(
    private readonly timeoutMs: number,
    incarnation: number,
    /** TEST ONLY (unsafeTestFaults): match a context by its round number alone, the bug this class had. */
    private readonly ignoreIncarnation = false,
  ) {
    this.tag = incarnationTag(incarnation);
  }

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
    const n = this.nextRound++;
    this.rounds.set(n, { issuedAtMs: nowMs, reads: this.queue });
    this.queue = [];
    return `${this.tag}.${n}`;
  }

  /** The round a context names, if it is one of this incarnation's. */
  private roundOf(ctx: string): number | undefined {
    const dot = ctx.indexOf('.');
    if (dot < 0) return undefined;
    if (ctx.slice(0, dot) !== this.tag && !this.ignoreIncarnation) return undefined;
    const n = Number(ctx.slice(dot + 1));
    return this.rounds.has(n) ? n : undefined;
  }

  /** The round could not be started: its reads wait for the next chance. */
  unstart(ctx: string): void {
    const n = this.roundOf(ctx);
    if (n !== undefined) this.requeue(n);
  }

  private requeue(n: number): void {
    const round = this.rounds.get(n)!;
    this.rounds.delete(n);
    this.queue = [...round.reads, ...this.queue];
  }

  /** The round `ctx` is confirmed at `index`; returns when it was issued (for the leader lease), if it was ours. */
  confirmed(ctx: string, index: number): number | undefined {
    const n = this.roundOf(ctx);
    if (n === undefined) return undefined;
    const round = this.rounds.get(n)!;
    this.rounds.delete(n);
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
    const n = this.roundOf(ctx);
    if (n !== undefined) this.failRound(n, () => err);
  }

  private failRound(n: number, make: () => Error): void {
    const round = this.rounds.get(n)!;
    this.rounds.delete(n);
    this.count -= round.reads.length;
    for (const r of round.reads) r.reject(make());
  }

  /** This node lost the leadership and does not forward: reads in rounds it started fail (the leader changed). */
  failRounds(make: () => Error): void {
    for (const n of [...this.rounds.keys()]) this.failRound(n, make);
  }

  /** Fails the reads not yet in a round (this node cannot serve them: not the leader, forwarding off). */
  failQueued(make: () => Error): void {
    const queued = this.queue;
    this.queue = [];
    this.count -= queued.length;
    for (const r of queued) r.reject(make());
  }

  /** The leader gave up on `ctx` (or changed): its reads go back in the queue for a new round. */
  retry(ctx: string): void {
    this.unstart(ctx);
  }

  /** A leader change: rounds in flight may never be answered; ask again. */
  retryAll(): void {
    for (const n of [...this.rounds.keys()]) this.requeue(n);
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
    for (const [n, round] of this.rounds) {
      const keep = fail(round.reads);
      if (keep.length === 0) this.rounds.delete(n);
      else this.rounds.set(n, { issuedAtMs: round.issuedAtMs, reads: keep });
    }
    this.waiting = this.waiting
      .map((g) => ({ index: g.index, reads: fail(g.reads) }))
      .filter((g) => g.reads.length > 0);
  }

  failAll(make: () => Error): void {
    const all = [
      ...this.queue,
      ...[...this.rounds.values()].flatMap((r) => r.reads),
      ...this.waiting.flatMap((g) => g.reads),
    ];
    this.queue = [];
    this.rounds.clear();
    this.waiting = [];
    this.count = 0;
    for (const r of all) r.reject(make());
  }
}
