// Requests a follower sends to the leader over the node channel: bounded in
// number, each with a deadline (swept on every tick), answered by id.
//
// A request follows the leader: one issued while no leader is known waits for
// one; one in flight when the leader changes is sent again to the new leader
// (a write with the same exactly-once identity, see forward-lanes.ts), or
// served here if this node became the leader. Only a membership change, which
// has no exactly-once identity, cannot be re-sent: it fails at once as of
// unknown outcome. Every send gets a fresh wire id, and an answer counts only
// if it names this incarnation and the latest send: a late answer from a
// previous leader, or one meant for this node's previous life (a restarted
// node numbers from 1 again), is ignored.
import { SessionExpiredError } from '@flotilla/kv';
import { NONE, NotLeaderError, ProposalDroppedError, type NodeId } from '@flotilla/raft';
import {
  errorFromWire,
  RequestTimeoutError,
  TooManyRequestsError,
  UnknownOutcomeError,
} from './errors.js';
import { ForwardLanes, type LaneTicket } from './forward-lanes.js';
import type { ForwardOp, NodeWire } from './wire.js';

/** Encodes the write under an exactly-once identity, or (`register`) that identity's register command (seq 1). */
export type Identify = (clientId: string, seq: number, register?: boolean) => Uint8Array;

interface Request {
  readonly op: ForwardOp['op'];
  req: ForwardOp;
  /** Re-encodes the write under a forward lane's identity (see forward-lanes.ts). */
  readonly identify: Identify | undefined;
  /**
   * A new lane id's register, sent along with the write (the leader proposes
   * it just before the write) until a send may have reached the log: sent
   * again then, it could make an id kv evicted since known again at seq 1, and
   * the write's re-send would be applied twice.
   */
  register: Uint8Array | undefined;
  /** Sends so far: a write re-sent under its identity may have been applied by an earlier send. */
  sends: number;
  readonly deadlineMs: number;
  readonly resolve: (value: unknown, by: NodeId, applied: number) => void;
  readonly reject: (err: Error) => void;
  /** The forward lane lent to this write, given back when it settles. */
  readonly lane: number | undefined;
  /** The wire id of the latest send (0: never sent). */
  wireId: number;
  /** The leader that has the latest send; NONE while it waits for a leader. */
  sentTo: NodeId;
}

export interface ForwarderDeps {
  /** This node: a request for it is served here (the node channel's send does that). */
  readonly self: NodeId;
  now(): number;
  send(to: NodeId, incarnation: number, id: number, req: ForwardOp): void;
}

export interface ForwarderOptions {
  readonly max: number;
  readonly timeoutMs: number;
  /** Tells this incarnation's request ids apart from an earlier one's (the leader deduplicates by both). */
  readonly incarnation: number;
  /** false: a request for another node fails with NotLeaderError (it still waits while no leader is known). */
  readonly forwardToLeader: boolean;
  /** TEST ONLY (unsafeTestFaults): match answers by id alone, the bug this class had. */
  readonly ignoreIncarnation: boolean;
}

export class Forwarder {
  /** By request number: creation order, which is deadline order (one timeout for all). */
  private readonly requests = new Map<number, Request>();
  private readonly byWire = new Map<number, Request>();
  private readonly lanes: ForwardLanes;
  private nextRequest = 1;
  private nextWireId = 1;

  constructor(
    private readonly deps: ForwarderDeps,
    private readonly o: ForwarderOptions,
  ) {
    this.lanes = new ForwardLanes(lanePrefix(deps.self, o.incarnation), o.max);
  }

  get size(): number {
    return this.requests.size;
  }

  /**
   * Sends `req` to `leader` (NONE: once one is known); settles with the
   * leader's answer (and who gave it: this node, if it became the leader), or a
   * typed error. `identify` re-encodes a write that has no exactly-once
   * identity with one (a forward lane's), so it may be re-sent.
   */
  forward(
    leader: NodeId,
    req: ForwardOp,
    identify?: Identify,
  ): Promise<{ value: unknown; by: NodeId; applied: number }> {
    if (this.requests.size >= this.o.max)
      return Promise.reject(new TooManyRequestsError('forwardedRequestsMax', this.o.max));
    let sent = req;
    let register: Uint8Array | undefined;
    let lane: number | undefined;
    if (identify !== undefined && req.op === 'propose') {
      const ticket = this.lanes.take();
      if (ticket === undefined)
        return Promise.reject(new TooManyRequestsError('forwardedRequestsMax', this.o.max));
      [sent, register] = identified(identify, ticket);
      lane = ticket.lane;
    }
    const n = this.nextRequest++;
    return new Promise((resolve, reject) => {
      const r: Request = {
        op: req.op,
        req: sent,
        identify,
        register,
        sends: 0,
        deadlineMs: this.deps.now() + this.o.timeoutMs,
        lane,
        resolve: (value, by, applied) => {
          this.remove(n, r);
          resolve({ value, by, applied });
        },
        reject: (err) => {
          this.remove(n, r);
          reject(err);
        },
        wireId: 0,
        sentTo: NONE,
      };
      this.requests.set(n, r);
      this.dispatch(r, leader);
    });
  }

  /** An answer arrived from `from`. */
  answered(from: NodeId, res: NodeWire & { k: 'res' }): void {
    if (res.inc !== this.o.incarnation && !this.o.ignoreIncarnation) return; // meant for this node's previous life
    const r = this.byWire.get(res.id);
    if (r === undefined || r.sentTo !== from) return; // timed out, or superseded by a send to a newer leader
    // The answering leader's applied index (0 if it did not say: decodeWire checks only the kind).
    if (res.ok)
      return r.resolve(res.value, from, typeof res.applied === 'number' ? res.applied : 0);
    const err = errorFromWire(
      res.error ?? { name: 'Error', message: 'leader failed without a reason', fields: {} },
    );
    if (err instanceof NotLeaderError) {
      // It was no longer the leader and proposed nothing: go to the one it names, or wait for the next.
      this.dispatch(r, err.leader === from ? NONE : err.leader);
      return;
    }
    if (
      err instanceof ProposalDroppedError &&
      (err.reason === 'transferring' || err.reason === 'removedFromCluster')
    ) {
      this.dispatch(r, NONE); // proposed nothing, and it is handing over: the next leader gets it (see retryWaiting)
      return;
    }
    if (err instanceof SessionExpiredError && r.lane !== undefined && r.identify !== undefined)
      return this.renewLane(r, from, err);
    if (err instanceof SessionExpiredError && r.sends > 1) {
      // The client's own identity, re-sent after a leader change: an earlier send may have been applied before kv forgot the id.
      r.reject(
        new UnknownOutcomeError(
          `the write was re-sent after a leader change and its client id had expired meanwhile (${err.message}); read before retrying`,
        ),
      );
      return;
    }
    r.reject(err);
  }

  /**
   * kv forgot the lane's id and applied nothing. Sent once, the write never
   * reached the log under that id: it goes again under a renewed id. Sent more
   * than once, an earlier send may have been applied before kv forgot the id,
   * so its outcome is unknown.
   */
  private renewLane(r: Request, from: NodeId, err: SessionExpiredError): void {
    if (r.sends > 1) {
      r.reject(
        new UnknownOutcomeError(
          `the write was re-sent after a leader change and its follower identity had expired meanwhile (${err.message}); read before retrying`,
        ),
      );
      return;
    }
    [r.req, r.register] = identified(r.identify!, this.lanes.renew(r.lane!));
    this.dispatch(r, from);
  }

  /** A (new) leader is known: every request not with it goes to it now. */
  leaderChanged(leader: NodeId): void {
    // While none is known the old leader may still answer (it may be back); decide when one is known.
    if (leader === NONE) return;
    for (const r of [...this.requests.values()]) {
      if (r.sentTo === leader) continue;
      // Forwarding off: it went to this node when it led, and may be in the log; its own apply answers it.
      if (r.sentTo !== NONE && !this.o.forwardToLeader) continue;
      if (r.sentTo !== NONE && r.op === 'confChange') {
        r.reject(
          new UnknownOutcomeError(
            'the leader changed while it had this membership change, which is not re-sent (it has no exactly-once identity); check the membership before retrying',
          ),
        );
        continue;
      }
      if (r.sentTo !== NONE) r.register = undefined; // the earlier send may be in the log (see Request.register)
      this.dispatch(r, leader);
    }
  }

  /**
   * Sends requests that wait (one the leader turned away while handing over,
   * or one issued while no leader was known) to `leader`, if one is known.
   * Called every tick: a handover that fails leaves the same leader in place.
   */
  retryWaiting(leader: NodeId): void {
    if (leader === NONE) return;
    for (const r of [...this.requests.values()]) if (r.sentTo === NONE) this.dispatch(r, leader);
  }

  /** Fails requests past their deadline. */
  sweep(nowMs: number): void {
    for (const r of [...this.requests.values()]) {
      if (r.deadlineMs > nowMs) break;
      r.reject(
        r.wireId === 0
          ? new NotLeaderError(NONE, `${r.op} (no leader within ${this.o.timeoutMs} ms)`)
          : timeoutError(r.op, this.o.timeoutMs),
      );
    }
  }

  /** Fails everything; `sent`: the request reached a leader at least once. */
  failAll(make: (op: ForwardOp['op'], sent: boolean) => Error): void {
    for (const r of [...this.requests.values()]) r.reject(make(r.op, r.wireId !== 0));
  }

  private dispatch(r: Request, leader: NodeId): void {
    this.byWire.delete(r.wireId);
    r.sentTo = NONE;
    if (leader === NONE) return; // waits for leaderChanged (or its deadline)
    if (leader !== this.deps.self && !this.o.forwardToLeader)
      return r.reject(new NotLeaderError(leader, r.op));
    const id = this.nextWireId++;
    r.wireId = id;
    r.sentTo = leader;
    r.sends++;
    this.byWire.set(id, r);
    this.deps.send(
      leader,
      this.o.incarnation,
      id,
      r.register !== undefined && r.req.op === 'propose'
        ? { ...r.req, register: r.register }
        : r.req,
    );
  }

  private remove(n: number, r: Request): void {
    if (this.requests.get(n) !== r) return;
    this.requests.delete(n);
    this.byWire.delete(r.wireId);
    if (r.lane !== undefined) this.lanes.give(r.lane);
  }
}

/** A lane's write under its identity, and the identity's register if it is new. */
function identified(identify: Identify, ticket: LaneTicket): [ForwardOp, Uint8Array | undefined] {
  const write: ForwardOp = { op: 'propose', data: identify(ticket.clientId, ticket.seq) };
  return [write, ticket.register ? identify(ticket.clientId, 1, true) : undefined];
}

/** A write whose answer never came may have been applied; anything else changed nothing. */
export function timeoutError(op: ForwardOp['op'], timeoutMs: number): Error {
  if (op === 'propose' || op === 'confChange')
    return new UnknownOutcomeError(`no answer from the leader within ${timeoutMs} ms`);
  return new RequestTimeoutError(op, timeoutMs);
}

/** Fixed width (sizes of entries and messages do not depend on the random incarnation: simulations stay deterministic). */
export function incarnationTag(incarnation: number): string {
  return incarnation.toString(16).padStart(12, '0');
}

function lanePrefix(self: NodeId, incarnation: number): string {
  return `flotilla-fwd-${self}-${incarnationTag(incarnation)}`;
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
