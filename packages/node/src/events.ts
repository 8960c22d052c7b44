// The node's events, delivered synchronously to listeners in registration
// order. A listener that throws does not disturb the driver or other listeners.
import type { ErrorCategory } from '@flotilla/errors';
import type { MemberRecord } from '@flotilla/kv';
import type { NodeId, Role, SnapshotMeta } from '@flotilla/raft';

export interface NodeEvents {
  leaderChanged: { readonly leader: NodeId; readonly term: number; readonly role: Role };
  applied: { readonly index: number; readonly revision: number };
  snapshot: { readonly kind: 'created' | 'installed'; readonly meta: SnapshotMeta };
  /**
   * The replicated member table changed here (a member command or a conf change applied, or a
   * snapshot installed); `members` is the new table, as `node.members.list()` now returns it.
   * Cheaper to follow than `applied`: in a worker node, `applied` crosses to the host's thread
   * for every applied batch while anyone listens, this only when the table changed.
   */
  membersChanged: { readonly members: readonly MemberRecord[] };
  /**
   * Only for a node in a worker thread (openNode's default): the worker ended
   * without being asked to (an uncaught error, process.exit inside it, out of
   * memory). Every pending and later call fails with NodeWorkerExitedError.
   */
  workerExit: { readonly exitCode: number; readonly reason: string };
  /**
   * The node stopped by itself and will not serve again: a storage write or
   * the state machine failed, an invariant broke, or (worker node) its worker
   * thread ended. Fired once everything pending has failed and, for a node in
   * this thread, once its storage is closed, so a listener may open it again.
   * Every later call fails with NodeFailedError (NodeWorkerExitedError for a
   * worker node). `flotilla start` exits non-zero on it.
   */
  failed: {
    readonly reason: string;
    /**
     * `environment` (the disk, the machine: fix it and reopen), `bug` (a broken
     * invariant: report it), or the category the failure's error declares.
     */
    readonly category: ErrorCategory;
  };
}

export type NodeEventName = keyof NodeEvents;
type Listener<E extends NodeEventName> = (event: NodeEvents[E]) => void;

export class Emitter {
  private readonly listeners: { [E in NodeEventName]: Set<Listener<E>> } = {
    leaderChanged: new Set(),
    applied: new Set(),
    snapshot: new Set(),
    membersChanged: new Set(),
    workerExit: new Set(),
    failed: new Set(),
  };

  /** Adds a listener; returns a function that removes it. */
  on<E extends NodeEventName>(name: E, fn: Listener<E>): () => void {
    const set = this.listeners[name] as Set<Listener<E>>;
    set.add(fn);
    return () => set.delete(fn);
  }

  emit<E extends NodeEventName>(name: E, event: NodeEvents[E]): void {
    for (const fn of this.listeners[name] as Set<Listener<E>>) {
      try {
        fn(event);
      } catch {
        // A listener's bug must not stop the driver loop.
      }
    }
  }
}
