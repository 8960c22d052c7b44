// Typed errors of the node driver. Expected failures are errors with a name,
// the facts as fields, and a message that says what to do. They cross the
// node-to-node channel as data (toData / nodeErrorFromData) so a forwarded
// request fails on the follower with the same class the leader produced.
import { categoryOf, type ErrorCategory, FlotillaError } from '@flotilla/errors';
import { NotLeaderError, ProposalDroppedError, type ProposalDropReason } from '@flotilla/raft';
import { errorFromData, KvError, type KvErrorData } from '@flotilla/kv';
import { NodeWorkerExitedError } from './thread/worker-exited-error.js';

export { NotLeaderError, ProposalDroppedError };

/** A bounded queue of this node is full. Nothing was proposed: retry later, or slow down. */
export class TooManyRequestsError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'TooManyRequestsError';
  constructor(
    readonly limit: string,
    readonly max: number,
  ) {
    super(
      `too many requests: ${limit} (${max}) reached on this node; nothing was proposed, retry after some complete`,
    );
  }
}

/**
 * The write may or may not have been applied: its entry was proposed (or
 * forwarded) but this node cannot learn its fate (timeout, node closed,
 * snapshot skipped over it). Read the state before retrying, or retry with the
 * same `{ clientId, seq }` (exactly-once) so a repeat is not applied twice.
 */
export class UnknownOutcomeError extends FlotillaError {
  readonly category: ErrorCategory = 'outcomeUnknown';
  override readonly name = 'UnknownOutcomeError';
  constructor(readonly reason: string) {
    super(
      `the outcome of this write is unknown (${reason}); retry with the same clientId/seq, or read before retrying`,
    );
  }
}

/** The proposal's entry was replaced by another leader's entry: it was NOT applied. Retry it. */
export class ProposalLostError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'ProposalLostError';
  constructor(
    readonly index: number,
    readonly term: number,
    readonly appliedTerm: number,
  ) {
    super(
      `proposal at index ${index} (term ${term}) was replaced by an entry of term ${appliedTerm} after a leader change; it was not applied, retry it`,
    );
  }
}

/** A read or a request to the leader did not complete in time. Nothing was changed; retry. */
export class RequestTimeoutError extends FlotillaError {
  readonly category: ErrorCategory = 'outcomeUnknown';
  override readonly name = 'RequestTimeoutError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${operation} did not complete within ${timeoutMs} ms (no leader, or the leader is unreachable); retry`,
    );
  }
}

/**
 * etcd's "leader changed": the leader changed while the request waited on it,
 * and it could not be carried over to the new leader. Nothing was applied
 * (writes in flight through a follower are re-sent to the new leader with
 * their exactly-once identity instead). Retry; the next try goes to the new leader.
 */
export class LeaderChangedError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'LeaderChangedError';
  constructor(readonly operation: string) {
    super(
      `etcdserver: leader changed (${operation} waited on a leader that lost its place; nothing was applied: retry)`,
    );
  }
}

/** The node was closed (or crashed) before the request could be served. */
export class NodeClosedError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'NodeClosedError';
  constructor(readonly operation: string) {
    super(`${operation}: this node is closed; open it again or use another member`);
  }
}

/**
 * The node stopped by itself after a failure it cannot continue from (a
 * storage write failed, a broken invariant): this and every later call fail.
 * Writes that were pending have an unknown outcome; acknowledged ones were
 * durable before they were acknowledged. Open the node again once the cause
 * is fixed (the failed event has fired by then and the storage is closed).
 */
export class NodeFailedError extends FlotillaError {
  readonly category: ErrorCategory = 'outcomeUnknown';
  override readonly name = 'NodeFailedError';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `this node stopped after a failure it cannot continue from (${reason}); pending writes have an unknown outcome; open the node again`,
      options,
    );
  }
}

/** Bad options for createNode/openNode; fix the configuration. */
export class NodeOptionsError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'NodeOptionsError';
  constructor(detail: string) {
    super(`node options: ${detail}`);
  }
}

/** A broken invariant in the driver: a bug, never an expected failure. */
export class NodeInvariantError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'NodeInvariantError';
  constructor(detail: string) {
    super(`node invariant broken: ${detail}`);
  }
}

/**
 * The node this call went to serves no more: it was closed, it stopped after a
 * failure, or its worker thread ended. Asking it again is pointless; ask
 * another member, or open the node again.
 */
export function isNodeStopped(err: unknown): boolean {
  return (
    err instanceof NodeClosedError ||
    err instanceof NodeFailedError ||
    err instanceof NodeWorkerExitedError
  );
}

/**
 * What kind of failure stopped a node: the category its error declares; else
 * `environment` for a system error (one with a `code`: EIO, ENOSPC, a worker
 * out of memory) and `bug` for anything else thrown (a TypeError in our code).
 */
export function failureCategory(err: unknown): ErrorCategory {
  const declared = categoryOf(err);
  if (declared !== undefined) return declared;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? 'environment' : 'bug';
}

export function invariant(condition: boolean, detail: string | (() => string)): asserts condition {
  if (!condition) throw new NodeInvariantError(typeof detail === 'string' ? detail : detail());
}

/**
 * An error the leader answered with that this node has no class for: it keeps
 * the leader's name, message and category (a leader's unknown failure counts
 * as a bug, so nobody retries it blindly).
 */
export class PeerError extends FlotillaError {
  constructor(
    override readonly name: string,
    message: string,
    readonly category: ErrorCategory,
  ) {
    super(message);
  }
}

/** An error as plain data for the wire. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  /** The error's category on the leader, so a class this side does not know keeps it. */
  readonly category?: ErrorCategory;
  readonly fields: Record<string, unknown>;
  readonly kv?: KvErrorData;
}

export function errorToData(err: unknown): WireError {
  if (err instanceof KvError)
    return { name: err.name, message: err.message, fields: {}, kv: err.toData() };
  if (err instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(err))
      if (typeof v !== 'object' && typeof v !== 'function') fields[k] = v;
    const category = categoryOf(err);
    return { name: err.name, message: err.message, fields, ...(category ? { category } : {}) };
  }
  return { name: 'Error', message: String(err), fields: {} };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function errorFromWire(data: WireError): Error {
  if (data.kv !== undefined) return errorFromData(data.kv);
  const err = rebuild(data);
  // The leader's wording (it names the operation and the leader it knew).
  err.message = data.message;
  return err;
}

function rebuild(data: WireError): Error {
  const f = data.fields;
  switch (data.name) {
    case 'NotLeaderError':
      return new NotLeaderError(num(f['leader']), str(f['operation']) || 'request');
    case 'ProposalDroppedError':
      return new ProposalDroppedError(str(f['reason']) as ProposalDropReason);
    case 'TooManyRequestsError':
      return new TooManyRequestsError(str(f['limit']), num(f['max']));
    case 'UnknownOutcomeError':
      return new UnknownOutcomeError(str(f['reason']));
    case 'ProposalLostError':
      return new ProposalLostError(num(f['index']), num(f['term']), num(f['appliedTerm']));
    case 'RequestTimeoutError':
      return new RequestTimeoutError(str(f['operation']), num(f['timeoutMs']));
    case 'NodeClosedError':
      return new NodeClosedError(str(f['operation']));
    case 'LeaderChangedError':
      return new LeaderChangedError(str(f['operation']));
    default:
      return new PeerError(data.name, data.message, data.category ?? 'bug');
  }
}
