// Pending ReadIndex requests on a leader (Raft thesis §6.4). Requests that
// arrive between two Ready batches share one heartbeat round: the round is
// opened by the first request and broadcast when the next Ready is built. A
// quorum acknowledging round k confirms every request of rounds ≤ k, since
// those heartbeats were all sent after the requests were registered.
import type { NodeId } from './types.js';

export interface ReadRequest {
  readonly context: string;
  /** The commit index when the request was registered: the index to wait for. */
  readonly index: number;
  /** Who asked: this node (a local read) or a follower that forwarded it. */
  readonly from: NodeId;
}

interface Round {
  readonly id: number;
  readonly requests: ReadRequest[];
  readonly acks: Set<NodeId>;
}

const CONTEXT_PREFIX = 'read:';

export class ReadOnlyQueue {
  private rounds: Round[] = [];
  private open: Round | undefined;
  private nextRoundId = 1;

  size(): number {
    let n = this.open?.requests.length ?? 0;
    for (const r of this.rounds) n += r.requests.length;
    return n;
  }

  add(req: ReadRequest): void {
    if (this.open === undefined) {
      this.open = { id: this.nextRoundId++, requests: [], acks: new Set() };
    }
    this.open.requests.push(req);
  }

  hasOpenRound(): boolean {
    return this.open !== undefined;
  }

  /** Closes the open round; returns the heartbeat context to broadcast for it. */
  startRound(self: NodeId): string | undefined {
    const round = this.open;
    if (round === undefined) return undefined;
    this.open = undefined;
    round.acks.add(self);
    this.rounds.push(round);
    return CONTEXT_PREFIX + String(round.id);
  }

  /** Records an ack; returns the acks of that round if it is still pending. */
  ack(from: NodeId, context: string): ReadonlySet<NodeId> | undefined {
    if (!context.startsWith(CONTEXT_PREFIX)) return undefined;
    const id = Number(context.slice(CONTEXT_PREFIX.length));
    const round = this.rounds.find((r) => r.id === id);
    if (round === undefined) return undefined;
    round.acks.add(from);
    return round.acks;
  }

  /** Releases every request of rounds up to the one with `context`. */
  release(context: string): ReadRequest[] {
    const id = Number(context.slice(CONTEXT_PREFIX.length));
    const done = this.rounds.filter((r) => r.id <= id);
    this.rounds = this.rounds.filter((r) => r.id > id);
    return done.flatMap((r) => r.requests);
  }

  /** Drops everything (leadership lost); returns what was pending. */
  clear(): ReadRequest[] {
    const all = [...this.rounds.flatMap((r) => r.requests), ...(this.open?.requests ?? [])];
    this.rounds = [];
    this.open = undefined;
    return all;
  }
}
