// Applying one committed entry: decode, exactly-once check, execute, record.
// Total by construction: every input yields a result, and the same input on
// the same state yields the same result on every replica (no clock, no
// randomness, no iteration over unordered data).

import { ClientTable, type Outcome } from './clients.js';
import { decodeCommand, type Command, type DecodeResult } from './command.js';
import {
  CompactedError,
  FutureRevisionError,
  InvalidRequestError,
  KvError,
  LeaseExistsError,
  LeaseNotFoundError,
} from './errors.js';
import { leaseKey, packr, revKey } from './layout.js';
import { deleteRange, put, runTxn } from './ops.js';
import type { Batch, KvState, ReadView } from './store.js';
import type { CommandResponse, LeaseGrantRequest, ResponseHeader } from './types.js';
import { loadKvs, WriteTxn, type RawEvent } from './write-txn.js';
import { authorize } from './auth/check.js';

export type ApplyResult = { index: number; duplicate?: true } & Outcome;

/** A result that is a promise only when computing it had to wait (for storage). */
export type MaybePromise<T> = T | Promise<T>;

/** `f` applied to `v`, at once if `v` is already there. */
function then<T, R>(v: MaybePromise<T>, f: (t: T) => MaybePromise<R>): MaybePromise<R> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** A KvError thrown by a command is its outcome; anything else is a failure of the node. */
function failed(err: unknown): Outcome {
  if (err instanceof KvError) return { ok: false, error: err };
  throw err;
}

/** One per apply batch (its entries share the batch, the events list and the view). */
export interface ApplyContext {
  batch: Batch;
  /** Reads the state as this batch has changed it so far. */
  view: ReadView;
  events: RawEvent[];
  /** Whether events must carry prevKv (some watcher wants it). */
  eventPrevKv: boolean;
}

export function encodeLease(ttl: number, checkpointTtl: number): Uint8Array {
  return packr.pack([ttl, checkpointTtl]);
}

export class Applier {
  constructor(
    private readonly state: KvState,
    readonly clients: ClientTable,
  ) {}

  /**
   * Applies one entry. Synchronous (a plain result) unless it has to read storage: a put or a
   * delete that needs a previous value, a txn, a retry whose stored answer is read back. Most
   * entries are plain puts, and an async function per layer would cost each one a promise and a
   * frame per layer (see benchmarks/node/apply-garbage.ts).
   */
  apply(index: number, data: Uint8Array, ctx: ApplyContext): MaybePromise<ApplyResult> {
    const { state } = this;
    this.clients.evict(index, ctx.batch);
    if (data.byteLength === 0)
      return this.done(index, { ok: true, response: { header: { revision: state.revision } } });
    const decoded = decodeCommand(data, state.limits);
    const rawClientId = decoded.ok ? decoded.envelope.clientId : decoded.clientId;
    // Per user: a stored result (a txn's reads, say) is only ever returned to the user whose write made it.
    const user = decoded.ok ? decoded.envelope.auth?.user : undefined;
    const clientId =
      rawClientId !== undefined && user ? `${user}\u0000${rawClientId}` : rawClientId;
    const seq = decoded.ok ? decoded.envelope.seq : decoded.seq;
    if (clientId === undefined || seq === undefined) return this.run(index, decoded, ctx);
    const registering = decoded.ok && decoded.envelope.cmd.op === 'register';
    return then(this.clients.check(clientId, seq, registering, ctx.view), (check) => {
      if (check.kind === 'duplicate') return this.done(index, check.outcome, true);
      if (check.kind === 'stale' || check.kind === 'expired')
        return this.done(index, { ok: false, error: check.error });
      return then(this.outcome(index, decoded, ctx), (outcome) => {
        this.clients.record(clientId, seq, index, outcome, ctx.batch);
        return this.done(index, outcome);
      });
    });
  }

  /** An entry without an exactly-once identity: its outcome is its result (written out, not
   * `then()`: no closure on the synchronous path, which most entries take). */
  private run(index: number, decoded: DecodeResult, ctx: ApplyContext): MaybePromise<ApplyResult> {
    const outcome = this.outcome(index, decoded, ctx);
    return outcome instanceof Promise
      ? outcome.then((o) => this.done(index, o))
      : this.done(index, outcome);
  }

  private outcome(index: number, decoded: DecodeResult, ctx: ApplyContext): MaybePromise<Outcome> {
    if (!decoded.ok) return { ok: false, error: decoded.error };
    const refused = authorize(this.state, decoded.envelope.auth, decoded.envelope.cmd);
    if (refused) return { ok: false, error: refused };
    return this.execute(decoded.envelope.cmd, index, ctx);
  }

  /** The entry's result. Built field by field, not spread: one of these per applied entry. */
  private done(index: number, outcome: Outcome, duplicate = false): ApplyResult {
    this.state.appliedIndex = index;
    const result: ApplyResult = outcome.ok
      ? { index, ok: true, response: outcome.response }
      : { index, ok: false, error: outcome.error };
    if (duplicate) result.duplicate = true;
    return result;
  }

  /** Runs a command; a KvError it throws (at once or later) is its outcome, anything else propagates. */
  private execute(cmd: Command, index: number, ctx: ApplyContext): MaybePromise<Outcome> {
    let response: MaybePromise<CommandResponse>;
    try {
      response = this.dispatch(cmd, index, ctx);
    } catch (err) {
      return failed(err);
    }
    return response instanceof Promise
      ? response.then((r): Outcome => ({ ok: true, response: r }), failed)
      : { ok: true, response };
  }

  /** A write (one revision at most): staged by `run`, committed if it staged anything. */
  private write<R extends { header: ResponseHeader }>(
    ctx: ApplyContext,
    run: (txn: WriteTxn, header: ResponseHeader) => MaybePromise<R>,
  ): MaybePromise<R> {
    const txn = new WriteTxn(this.state, ctx.view, ctx.eventPrevKv);
    // Stryker disable next-line ObjectLiteral: equivalent, revision is set below before the response leaves
    const header = { revision: 0 };
    const response = run(txn, header);
    return response instanceof Promise
      ? response.then((r) => this.committed(ctx, txn, header, r))
      : this.committed(ctx, txn, header, response);
  }

  private committed<R>(ctx: ApplyContext, txn: WriteTxn, header: ResponseHeader, response: R): R {
    if (txn.changed) txn.commit(ctx.batch, ctx.events);
    header.revision = this.state.revision;
    return response;
  }

  private dispatch(cmd: Command, index: number, ctx: ApplyContext): MaybePromise<CommandResponse> {
    switch (cmd.op) {
      case 'put':
        return this.write(ctx, (txn, header) => put(txn, cmd.request, header));
      case 'deleteRange':
        return this.write(ctx, (txn, header) => deleteRange(txn, cmd.request, header));
      case 'txn':
        return this.write(ctx, (txn, header) => runTxn(txn, cmd.request, header));
      case 'compact':
        return this.compact(cmd.request.revision, ctx);
      case 'auth':
        this.state.auth.apply(cmd.request, ctx.batch, this.state.limits);
        return { header: { revision: this.state.revision } };
      case 'member':
        this.state.members.apply(cmd.request, ctx.batch);
        return { header: { revision: this.state.revision } };
      case 'register': // its effect is the exactly-once record apply() writes for it
        return { header: { revision: this.state.revision } };
      case 'leaseGrant':
        return this.grant(cmd.request, index, ctx);
      case 'leaseRevoke':
        return this.revokeOne(cmd.request.id, ctx);
      case 'leaseCheckpoint': {
        for (const { id, remainingTtl } of cmd.request.checkpoints) {
          const lease = this.state.leases.get(id);
          if (!lease) continue;
          lease.checkpointTtl = Math.min(remainingTtl, lease.ttl);
          ctx.batch.put(leaseKey(id), encodeLease(lease.ttl, lease.checkpointTtl));
        }
        return { header: { revision: this.state.revision } };
      }
      case 'leaseExpire':
        return this.expire(cmd.request.ids, ctx);
    }
  }

  private async revokeOne(id: number, ctx: ApplyContext): Promise<CommandResponse> {
    if (!this.state.leases.has(id)) throw LeaseNotFoundError.of(id);
    await this.revoke(id, ctx);
    return { header: { revision: this.state.revision } };
  }

  private async expire(ids: readonly number[], ctx: ApplyContext): Promise<CommandResponse> {
    const revoked: number[] = [];
    for (const id of ids) {
      // Unknown ids were revoked meanwhile (the leader's view raced a revoke): skip.
      if (!this.state.leases.has(id)) continue;
      await this.revoke(id, ctx);
      revoked.push(id);
    }
    return { header: { revision: this.state.revision }, revoked };
  }

  private compact(revision: number, ctx: ApplyContext): CommandResponse {
    const { state } = this;
    if (revision > state.revision) throw FutureRevisionError.of(revision, state.revision);
    if (revision <= state.compactRevision) throw CompactedError.of(revision, state.compactRevision);
    for (const pos of state.index.compact(revision)) ctx.batch.del(revKey(pos.main, pos.sub));
    state.compactRevision = revision;
    return { header: { revision: state.revision } };
  }

  private grant(req: LeaseGrantRequest, index: number, ctx: ApplyContext): CommandResponse {
    const { state } = this;
    const { leaseTtlMinSeconds, leaseTtlMaxSeconds } = state.limits;
    if (req.ttl > leaseTtlMaxSeconds)
      throw new InvalidRequestError(
        `lease TTL ${req.ttl}s exceeds leaseTtlMaxSeconds (${leaseTtlMaxSeconds}); use a shorter TTL`,
      );
    let id = req.id;
    if (id === 0) {
      // Derived from the entry index: unique per entry and the same on every
      // replica; step past ids a leader chose explicitly.
      id = index;
      while (state.leases.has(id)) id++;
    } else if (state.leases.has(id)) {
      throw LeaseExistsError.of(id);
    }
    const ttl = Math.max(req.ttl, leaseTtlMinSeconds);
    state.leases.set(id, { id, ttl, checkpointTtl: -1, keys: new Set() });
    state.leaseChanges++;
    ctx.batch.put(leaseKey(id), encodeLease(ttl, -1));
    return { header: { revision: state.revision }, id, ttl };
  }

  /** Deletes the lease's keys in one revision (none if it has no keys), then the lease. */
  private async revoke(id: number, ctx: ApplyContext): Promise<void> {
    const lease = this.state.leases.get(id)!;
    const keys = [...lease.keys].sort();
    await this.write(ctx, async (txn, header) => {
      const curs = keys.map((k) => txn.current(k)!);
      const prevKvs = ctx.eventPrevKv ? await loadKvs(txn.view, curs) : [];
      curs.forEach((cur, i) => txn.stageDelete(cur, prevKvs[i]));
      return { header };
    });
    this.state.leases.delete(id);
    this.state.leaseChanges++;
    ctx.batch.del(leaseKey(id));
  }
}
