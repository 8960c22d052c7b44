// A distributed lock with etcd's algorithm (clientv3/concurrency.Mutex):
// each contender creates `<prefix>/<lease>` with its session lease; the
// oldest key (lowest create revision) holds the lock; everyone else waits for
// the delete of the key just older than theirs. The holder's create revision
// is a fencing token: it only grows from one holder to the next.

import { AbortedError } from '../errors.js';
import { compare, op } from '../normalize.js';
import type { KV } from '../types.js';
import { Session, type SessionOptions } from './session.js';
import { waitDeletes } from './wait-deletes.js';

export interface LockHold {
  /** The holder's key (release it, or let the session's lease expire). */
  key: string;
  /** Its create revision: pass it to whatever the lock protects as a fencing token. */
  revision: number;
  leaseId: number;
}

export class Lock {
  private session: Session | undefined;
  private hold: LockHold | undefined;

  constructor(
    private readonly kv: KV,
    private readonly prefix: string,
    private readonly options: SessionOptions = {},
  ) {}

  get held(): LockHold | undefined {
    return this.hold;
  }

  /** Waits until this contender holds the lock. An aborted wait removes its key. */
  async acquire(options: { signal?: AbortSignal } = {}): Promise<LockHold> {
    if (this.hold) return this.hold;
    const session = this.session ?? (this.session = await Session.open(this.kv, this.options));
    const key = session.keyUnder(this.prefix);
    const res = await this.kv.txn({
      compare: [compare(key, 'CREATE', '=', 0)],
      success: [op.put(key, '', { lease: session.leaseId })],
      failure: [op.get(key)],
    });
    // Re-acquiring with a key that survived (same session) keeps its place in line.
    const existing = res.responses[0]?.responseRange?.kvs[0];
    const revision = existing ? existing.createRevision : res.header.revision;
    try {
      await waitDeletes(this.kv, this.prefix, revision, options.signal);
    } catch (err) {
      await this.abandon(key);
      throw err;
    }
    const mine = await this.kv.get(key);
    if (!mine || mine.createRevision !== revision) {
      // Our lease expired while we waited: the key is gone, so we never held the lock.
      await this.abandon(key);
      throw new AbortedError(
        `acquiring lock ${this.prefix} (the session's lease expired while waiting)`,
      );
    }
    this.hold = { key, revision, leaseId: session.leaseId };
    return this.hold;
  }

  /** Releases the lock (deletes the key) and ends the session it opened. */
  async release(): Promise<void> {
    const hold = this.hold;
    this.hold = undefined;
    if (hold) await this.kv.delete(hold.key);
    await this.closeSession();
  }

  private async abandon(key: string): Promise<void> {
    await this.kv.delete(key).catch(() => undefined);
    await this.closeSession();
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session && this.options.leaseId === undefined) await session.close();
  }
}
