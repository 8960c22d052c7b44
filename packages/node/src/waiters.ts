// Proposals this node put in the log and waits to see applied, keyed by index.
// The entry applied at that index tells the outcome: same term → ours, with
// its apply result; another term → ours was replaced (not applied). A waiter
// that cannot learn its fate (timeout, snapshot over it, close) gets an
// UnknownOutcomeError: never a silent success or failure.
import type { ApplyResult } from '@flotilla/kv';
import { ProposalLostError, UnknownOutcomeError } from './errors.js';

export interface Waiter {
  readonly index: number;
  readonly term: number;
  /** When the request entered this node (commit latency is measured from here). */
  readonly acceptedAtMs: number;
  readonly deadlineMs: number;
  /** `result` is undefined for entries kv does not apply (conf changes). */
  readonly resolve: (result: ApplyResult | undefined) => void;
  readonly reject: (err: Error) => void;
}

export class Waiters {
  private readonly byIndex = new Map<number, Waiter>();

  get size(): number {
    return this.byIndex.size;
  }

  add(w: Waiter): void {
    // An index proposed again: our older entry there was truncated by a new leader.
    const old = this.byIndex.get(w.index);
    if (old !== undefined) {
      this.byIndex.delete(w.index);
      old.reject(new ProposalLostError(old.index, old.term, w.term));
    }
    this.byIndex.set(w.index, w);
  }

  /** The entry at `index` with `term` was applied; returns our waiter if it was ours. */
  applied(index: number, term: number): Waiter | undefined {
    const w = this.byIndex.get(index);
    if (w === undefined) return undefined;
    this.byIndex.delete(index);
    if (w.term === term) return w;
    w.reject(new ProposalLostError(w.index, w.term, term));
    return undefined;
  }

  /** A snapshot jumped the state machine to `index`: entries up to it were never seen here. */
  skippedTo(index: number): void {
    for (const [i, w] of this.byIndex) {
      if (i > index) continue;
      this.byIndex.delete(i);
      w.reject(
        new UnknownOutcomeError(
          `a snapshot at index ${index} replaced this node's state before entry ${i} was seen applied`,
        ),
      );
    }
  }

  /** Fails waiters past their deadline (insertion order is deadline order: one timeout for all). */
  sweep(nowMs: number, timeoutMs: number): void {
    for (const [i, w] of this.byIndex) {
      if (w.deadlineMs > nowMs) break;
      this.byIndex.delete(i);
      w.reject(
        new UnknownOutcomeError(
          `not applied within ${timeoutMs} ms (the leader may have changed, or the cluster lost its quorum)`,
        ),
      );
    }
  }

  /** Fails every waiter (their entries are in the log: the error says the outcome is unknown). */
  failAll(error: () => Error): void {
    const all = [...this.byIndex.values()];
    this.byIndex.clear();
    for (const w of all) w.reject(error());
  }
}
