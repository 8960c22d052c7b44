// Requests a follower sends to the leader over the node channel: bounded in
// number, each with a deadline (swept on every tick), answered by id.
import { NONE, NotLeaderError, type NodeId } from '@flotilla/raft';
import { errorFromWire, RequestTimeoutError, TooManyRequestsError, UnknownOutcomeError, type WireError } from './errors.js';
import type { ForwardOp } from './wire.js';

interface InFlight {
  readonly op: ForwardOp['op'];
  readonly deadlineMs: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

export interface ForwarderDeps {
  now(): number;
  send(to: NodeId, incarnation: number, id: number, req: ForwardOp): void;
}

export class Forwarder {
  private readonly inflight = new Map<number, InFlight>();
  private nextId = 1;

  constructor(
    private readonly deps: ForwarderDeps,
    private readonly max: number,
    private readonly timeoutMs: number,
    /** Tells this incarnation's request ids apart from an earlier one's (the leader deduplicates by both). */
    readonly incarnation: number,
  ) {}

  get size(): number {
    return this.inflight.size;
  }

  /** Sends `req` to `leader`; settles with the leader's answer, or a typed error. */
  forward(leader: NodeId, req: ForwardOp): Promise<unknown> {
    if (leader === NONE) return Promise.reject(new NotLeaderError(NONE, req.op));
    if (this.inflight.size >= this.max) return Promise.reject(new TooManyRequestsError('forwardedRequestsMax', this.max));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.inflight.set(id, { op: req.op, deadlineMs: this.deps.now() + this.timeoutMs, resolve, reject });
      this.deps.send(leader, this.incarnation, id, req);
    });
  }

  answered(id: number, ok: boolean, value: unknown, error: WireError | undefined): void {
    const req = this.inflight.get(id);
    if (req === undefined) return; // timed out already
    this.inflight.delete(id);
    if (ok) req.resolve(value);
    else req.reject(errorFromWire(error ?? { name: 'Error', message: 'leader failed without a reason', fields: {} }));
  }

  /** Fails requests past their deadline. Map order is send order, and all share one timeout. */
  sweep(nowMs: number): void {
    for (const [id, req] of this.inflight) {
      if (req.deadlineMs > nowMs) break;
      this.inflight.delete(id);
      req.reject(timeoutError(req.op, this.timeoutMs));
    }
  }

  failAll(make: (op: ForwardOp['op']) => Error): void {
    const all = [...this.inflight.values()];
    this.inflight.clear();
    for (const req of all) req.reject(make(req.op));
  }
}

/** A write whose answer never came may have been applied; anything else changed nothing. */
export function timeoutError(op: ForwardOp['op'], timeoutMs: number): Error {
  if (op === 'propose' || op === 'confChange') return new UnknownOutcomeError(`no answer from the leader within ${timeoutMs} ms`);
  return new RequestTimeoutError(op, timeoutMs);
}

/**
 * Requests a leader has taken, by sender, incarnation and id: a request the
 * network delivers twice must not be proposed twice. Bounded; the oldest are
 * forgotten first (a duplicate arrives soon after its original, if at all).
 */
export class SeenRequests {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  /** True the first time a request is seen. */
  firstTime(from: NodeId, incarnation: number, id: number): boolean {
    const key = `${from}:${incarnation}:${id}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value!);
    return true;
  }
}
