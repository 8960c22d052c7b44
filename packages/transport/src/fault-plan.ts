// What the network does to each message: a pure decision from the current
// fault settings and an injected Rng. No timers and no I/O here, so the
// memory network and the Raft simulator can share it and stay reproducible
// from a seed. The plan can change at any moment; listeners hear of each change
// (the network uses that to release clogged traffic).
import { randomInt, type NodeId, type Rng } from '@flotilla/raft';
import { FaultPlanError } from './errors.js';

export interface DelayRange {
  readonly minMs: number;
  readonly maxMs: number;
}

export type DropCause = 'partition' | 'random';

/**
 * - `drop`: lose the message.
 * - `hold`: keep it until the plan changes (a clogged node), then decide again.
 * - `deliver`: one delivery per entry of `delaysMs` (more than one = duplicates).
 *   When `inOrder`, the first copy keeps its link's FIFO order; otherwise
 *   (reordered) and for every duplicate, the copy may overtake or fall behind.
 */
export type Delivery =
  | { readonly kind: 'drop'; readonly reason: DropCause }
  | { readonly kind: 'hold' }
  | { readonly kind: 'deliver'; readonly delaysMs: readonly number[]; readonly inOrder: boolean };

/** What happens to a message already in flight when it reaches its destination. */
export type Arrival = 'deliver' | 'hold' | 'drop';

const NO_DELAY: DelayRange = { minMs: 0, maxMs: 0 };
const linkKey = (from: NodeId, to: NodeId): string => `${from}>${to}`;

function checkProbability(p: number, what: string): void {
  if (!(p >= 0 && p <= 1))
    throw new FaultPlanError(`${what} must be a probability in [0, 1], got ${p}`);
}

function checkDelay(range: DelayRange): void {
  const { minMs, maxMs } = range;
  if (!Number.isInteger(minMs) || !Number.isInteger(maxMs) || minMs < 0 || maxMs < minMs) {
    throw new FaultPlanError(
      `delay must be whole ms with 0 <= minMs <= maxMs, got ${minMs}..${maxMs}`,
    );
  }
}

export class FaultPlan {
  private groupOf = new Map<NodeId, number>();
  private readonly isolated = new Set<NodeId>();
  private readonly blockedLinks = new Set<string>();
  private readonly clogged = new Set<NodeId>();
  private dropAll = 0;
  private readonly linkDrop = new Map<string, number>();
  private delay: DelayRange = NO_DELAY;
  private readonly linkDelay = new Map<string, DelayRange>();
  private duplicate = 0;
  private reorder = 0;
  private reorderExtraMaxMs = 0;
  private readonly listeners = new Set<() => void>();

  /**
   * Splits the named nodes into groups that cannot reach each other (both
   * directions). Nodes not named keep their links. Replaces any earlier partition.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, g) => {
      for (const id of group) {
        if (groupOf.has(id))
          throw new FaultPlanError(
            `node ${id} is in two partition groups; each node belongs to at most one`,
          );
        groupOf.set(id, g);
      }
    });
    this.groupOf = groupOf;
    this.changed();
  }

  /** Cuts every link to and from `id` (until `heal`). */
  isolate(id: NodeId): void {
    this.isolated.add(id);
    this.changed();
  }

  /** Cuts the one-way link `from` → `to` (the reverse direction keeps working). */
  blockLink(from: NodeId, to: NodeId): void {
    this.blockedLinks.add(linkKey(from, to));
    this.changed();
  }

  unblockLink(from: NodeId, to: NodeId): void {
    this.blockedLinks.delete(linkKey(from, to));
    this.changed();
  }

  /** Restores connectivity: removes partitions, isolation and blocked links (not drops, delays or clogs). */
  heal(): void {
    this.groupOf = new Map();
    this.isolated.clear();
    this.blockedLinks.clear();
    this.changed();
  }

  /** Drops each message on every link with probability `p`. */
  setDrop(p: number): void {
    checkProbability(p, 'drop probability');
    this.dropAll = p;
    this.changed();
  }

  /** Drops each message on the one-way link `from` → `to` with probability `p` (overrides `setDrop` there). */
  setLinkDrop(from: NodeId, to: NodeId, p: number): void {
    checkProbability(p, 'link drop probability');
    this.linkDrop.set(linkKey(from, to), p);
    this.changed();
  }

  /** Delays every message by a uniform whole number of ms in [minMs, maxMs] (jitter = the spread). */
  setDelay(range: DelayRange): void {
    checkDelay(range);
    this.delay = range;
    this.changed();
  }

  /** Delay for the one-way link `from` → `to` (overrides `setDelay` there). */
  setLinkDelay(from: NodeId, to: NodeId, range: DelayRange): void {
    checkDelay(range);
    this.linkDelay.set(linkKey(from, to), range);
    this.changed();
  }

  /** Delivers a second copy of each message with probability `p`. */
  setDuplicate(p: number): void {
    checkProbability(p, 'duplicate probability');
    this.duplicate = p;
    this.changed();
  }

  /** With probability `p`, a message loses its place in its link's order and waits up to `extraMaxMs` more. */
  setReorder(p: number, extraMaxMs = 50): void {
    checkProbability(p, 'reorder probability');
    checkDelay({ minMs: 0, maxMs: extraMaxMs });
    this.reorder = p;
    this.reorderExtraMaxMs = extraMaxMs;
    this.changed();
  }

  /** Holds all traffic to and from `id` until `unclog(id)`, then releases it in order. */
  clog(id: NodeId): void {
    this.clogged.add(id);
    this.changed();
  }

  unclog(id: NodeId): void {
    this.clogged.delete(id);
    this.changed();
  }

  isClogged(id: NodeId): boolean {
    return this.clogged.has(id);
  }

  /** Turns every fault off. */
  reset(): void {
    this.groupOf = new Map();
    this.isolated.clear();
    this.blockedLinks.clear();
    this.clogged.clear();
    this.dropAll = 0;
    this.linkDrop.clear();
    this.delay = NO_DELAY;
    this.linkDelay.clear();
    this.duplicate = 0;
    this.reorder = 0;
    this.changed();
  }

  /** True when `from` cannot reach `to` (partition, isolation or a blocked link). */
  isBlocked(from: NodeId, to: NodeId): boolean {
    if (from === to) return false;
    if (this.isolated.has(from) || this.isolated.has(to)) return true;
    if (this.blockedLinks.has(linkKey(from, to))) return true;
    const a = this.groupOf.get(from);
    const b = this.groupOf.get(to);
    return a !== undefined && b !== undefined && a !== b;
  }

  /** The fate of one message sent now from `from` to `to`. Draws from `rng` only for faults that are on. */
  decide(from: NodeId, to: NodeId, rng: Rng): Delivery {
    if (this.clogged.has(from) || this.clogged.has(to)) return { kind: 'hold' };
    if (this.isBlocked(from, to)) return { kind: 'drop', reason: 'partition' };
    const key = linkKey(from, to);
    const dropP = this.linkDrop.get(key) ?? this.dropAll;
    if (dropP > 0 && rng.next() < dropP) return { kind: 'drop', reason: 'random' };
    const range = this.linkDelay.get(key) ?? this.delay;
    let first = sample(range, rng);
    let inOrder = true;
    if (this.reorder > 0 && rng.next() < this.reorder) {
      first += randomInt(rng, 0, this.reorderExtraMaxMs);
      inOrder = false;
    }
    const delaysMs = [first];
    if (this.duplicate > 0 && rng.next() < this.duplicate) delaysMs.push(sample(range, rng));
    return { kind: 'deliver', delaysMs, inOrder };
  }

  /** The fate of a message already in flight as it arrives: links cut meanwhile lose it, clogs hold it. */
  arrival(from: NodeId, to: NodeId): Arrival {
    if (this.clogged.has(from) || this.clogged.has(to)) return 'hold';
    return this.isBlocked(from, to) ? 'drop' : 'deliver';
  }

  /** Calls `listener` after every change to the plan. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function sample(range: DelayRange, rng: Rng): number {
  return range.maxMs > range.minMs ? randomInt(rng, range.minMs, range.maxMs) : range.minMs;
}
