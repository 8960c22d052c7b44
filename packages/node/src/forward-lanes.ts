// Exactly-once identities a follower gives the writes it forwards without one,
// so that a write re-sent to a new leader after a leader change is applied at
// most once (the copy that reached the old leader and the re-sent one carry the
// same identity; kv answers the second with the first one's outcome).
//
// kv keeps one (clientId, last seq) per client and refuses an older seq as
// stale, so one id may carry one write at a time: a write takes a free lane
// (`<prefix>.<lane>`) and the lane's next seq, and gives the lane back only once
// its outcome is settled. A lane's seqs therefore only grow, and a re-send
// repeats its own seq: no legitimate write is ever stale. Free lanes are reused
// most recently freed first, so kv's table holds about as many of this node's
// ids as it ever had forwarded writes in flight at once (at most `lanesMax`),
// not one per request. The prefix names the node and its incarnation: a
// restarted node does not know the seqs its previous life used.
//
// Each lane id is registered with its first write (kv's `register` command at
// seq 1, proposed by the leader just before the write, which takes seq 2):
// once kv has forgotten any client, it answers a write from an id it does not
// hold with "session expired" (nothing applied), so a re-send of a lane's first
// write whose id kv forgot meanwhile is not applied twice. A lane kv forgot is
// renewed: it takes a new id (a generation suffix), registered the same way,
// and goes on at seq 2.

export interface LaneTicket {
  readonly lane: number;
  readonly clientId: string;
  /** The write's seq (from 2). */
  readonly seq: number;
  /** The id is new: register it (seq 1) along with the write. */
  readonly register: boolean;
}

export class ForwardLanes {
  private readonly free: number[] = [];
  private readonly seqs: number[] = [];
  private readonly generations: number[] = [];

  constructor(
    private readonly prefix: string,
    private readonly lanesMax: number,
  ) {}

  /** A free lane and its next seq; undefined when all `lanesMax` lanes carry a write. */
  take(): LaneTicket | undefined {
    let lane = this.free.pop();
    if (lane === undefined) {
      if (this.seqs.length >= this.lanesMax) return undefined;
      lane = this.seqs.length;
      this.seqs.push(0);
      this.generations.push(0);
    }
    const register = this.seqs[lane] === 0;
    if (register) this.seqs[lane] = 1;
    const seq = ++this.seqs[lane]!;
    return { lane, clientId: this.clientId(lane), seq, register };
  }

  /** kv forgot the lane's id (session expired): the lane, still lent, gets a new id to register, and its write seq 2. */
  renew(lane: number): LaneTicket {
    this.generations[lane]!++;
    this.seqs[lane] = 2;
    return { lane, clientId: this.clientId(lane), seq: 2, register: true };
  }

  private clientId(lane: number): string {
    const generation = this.generations[lane]!;
    return generation === 0 ? `${this.prefix}.${lane}` : `${this.prefix}.${lane}~${generation}`;
  }

  /** The write on `lane` is settled: the lane may carry the next one. */
  give(lane: number): void {
    this.free.push(lane);
  }
}
