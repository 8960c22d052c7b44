// Leader election with etcd's semantics (clientv3/concurrency.Election):
// candidates create `<prefix>/<lease>` with their session lease; the oldest
// key is the leader and its value is the leader's proclamation. campaign()
// waits for every older candidate to go; observe() follows the leader.

import { text } from '@flotilla/kv';
import { ElectionNotLeaderError } from '../errors.js';
import { compare, op } from '../normalize.js';
import type { Bytes, KV, KeyValue } from '../types.js';
import { Session, type SessionOptions } from './session.js';
import { waitDeletes } from './wait-deletes.js';

export interface Leadership {
  key: string;
  /** Create revision of the leader key: a fencing token that grows with every new leader. */
  revision: number;
}

export class Election {
  private session: Session | undefined;
  private leading: Leadership | undefined;

  constructor(
    private readonly kv: KV,
    private readonly prefix: string,
    private readonly options: SessionOptions = {},
  ) {}

  get leadership(): Leadership | undefined {
    return this.leading;
  }

  /** Becomes a candidate with `value` and resolves once elected. An aborted campaign withdraws. */
  async campaign(value: Bytes, options: { signal?: AbortSignal } = {}): Promise<Leadership> {
    const session = this.session ?? (this.session = await Session.open(this.kv, this.options));
    const key = session.keyUnder(this.prefix);
    const res = await this.kv.txn({
      compare: [compare(key, 'CREATE', '=', 0)],
      success: [op.put(key, value, { lease: session.leaseId })],
      failure: [op.get(key)],
    });
    const existing = res.responses[0]?.responseRange?.kvs[0];
    const revision = existing ? existing.createRevision : res.header.revision;
    if (existing) await this.kv.put(key, value, { lease: session.leaseId });
    try {
      await waitDeletes(this.kv, this.prefix, revision, options.signal);
    } catch (err) {
      await this.kv.delete(key).catch(() => undefined);
      throw err;
    }
    this.leading = { key, revision };
    return this.leading;
  }

  /** Publishes a new value as the current leader; ElectionNotLeaderError if no longer leader. */
  async proclaim(value: Bytes): Promise<void> {
    const leading = this.leading;
    if (!leading || !this.session) throw new ElectionNotLeaderError('proclaim');
    const res = await this.kv.txn({
      compare: [compare(leading.key, 'CREATE', '=', leading.revision)],
      success: [op.put(leading.key, value, { lease: this.session.leaseId })],
    });
    if (!res.succeeded) {
      this.leading = undefined;
      throw new ElectionNotLeaderError('proclaim');
    }
  }

  /** Gives up leadership (the next candidate takes over) and ends the session this election opened. */
  async resign(): Promise<void> {
    const leading = this.leading;
    this.leading = undefined;
    if (leading) {
      await this.kv.txn({
        compare: [compare(leading.key, 'CREATE', '=', leading.revision)],
        success: [op.delete(leading.key)],
      });
    }
    const session = this.session;
    this.session = undefined;
    if (session && this.options.leaseId === undefined) await session.close();
  }

  /** The current leader's key and value, or undefined if there is none. */
  async leader(): Promise<KeyValue | undefined> {
    const res = await this.kv.range({
      prefix: this.prefix,
      sort: { target: 'CREATE', order: 'ASCEND' },
      limit: 1,
    });
    return res.kvs[0];
  }

  /**
   * The leader's value each time it changes (a new leader or a proclaim).
   * Runs until the signal aborts; leaderless periods yield nothing.
   */
  async *observe(options: { signal?: AbortSignal } = {}): AsyncGenerator<KeyValue> {
    const signal = options.signal;
    while (!signal?.aborted) {
      const res = await this.kv.range({
        prefix: this.prefix,
        sort: { target: 'CREATE', order: 'ASCEND' },
        limit: 1,
      });
      let current = res.kvs[0];
      if (!current) {
        current = await this.nextCandidate(res.header.revision, signal);
        if (!current) return;
      }
      yield current;
      if (signal?.aborted) return;
      const gone = yield* this.follow(current, signal);
      if (!gone) return;
    }
  }

  /** Waits for the first key under the prefix after `revision`. */
  private async nextCandidate(
    revision: number,
    signal?: AbortSignal,
  ): Promise<KeyValue | undefined> {
    if (signal?.aborted) return undefined;
    const watch = this.kv.watch(
      { prefix: this.prefix },
      { startRevision: revision + 1, filters: ['NODELETE'] },
    );
    const onAbort = () => watch.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const batch of watch) {
        const first = batch.events[0];
        if (first) return first.kv;
      }
      return undefined;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Yields the leader key's new values until it is deleted (true) or the signal aborts (false). */
  private async *follow(
    current: KeyValue,
    signal?: AbortSignal,
  ): AsyncGenerator<KeyValue, boolean> {
    if (signal?.aborted) return false;
    const watch = this.kv.watch(text(current.key), { startRevision: current.modRevision + 1 });
    const onAbort = () => watch.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const batch of watch) {
        for (const event of batch.events) {
          if (event.type === 'DELETE') return true;
          yield event.kv;
          if (signal?.aborted) return false;
        }
      }
      return false;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      watch.cancel();
    }
  }
}
