// The TCP transport's fault-injection hook: block or delay the links of one
// node, from inside its own process. The multi-process fault suite drives it;
// a transport without one configured never consults it.
import type { NodeId } from '@flotilla/raft';

export type LinkDirection = 'out' | 'in' | 'both';

export class LinkFaults {
  private readonly blockedOut = new Set<NodeId>();
  private readonly blockedIn = new Set<NodeId>();
  private readonly delays = new Map<NodeId, number>();

  /** Drops messages to (`out`), from (`in`) or both ways with `peer`, reported as `fault`. */
  block(peer: NodeId, direction: LinkDirection = 'both'): void {
    if (direction !== 'in') this.blockedOut.add(peer);
    if (direction !== 'out') this.blockedIn.add(peer);
  }

  unblock(peer: NodeId, direction: LinkDirection = 'both'): void {
    if (direction !== 'in') this.blockedOut.delete(peer);
    if (direction !== 'out') this.blockedIn.delete(peer);
  }

  /** Holds each outgoing send to `peer` for `delayMs` before queueing it (0 removes the delay). */
  delay(peer: NodeId, delayMs: number): void {
    if (!(Number.isFinite(delayMs) && delayMs >= 0))
      throw new RangeError(`link delay must be a non-negative number of ms, got ${delayMs}`);
    if (delayMs === 0) this.delays.delete(peer);
    else this.delays.set(peer, delayMs);
  }

  clear(): void {
    this.blockedOut.clear();
    this.blockedIn.clear();
    this.delays.clear();
  }

  isBlocked(peer: NodeId, direction: 'out' | 'in'): boolean {
    return (direction === 'out' ? this.blockedOut : this.blockedIn).has(peer);
  }

  delayMs(peer: NodeId): number {
    return this.delays.get(peer) ?? 0;
  }
}
