// Exactly-once identities for concurrent writes. The server keeps one
// (client id, last seq) per client and rejects an older seq, so one id can
// carry only one write at a time; a client with several writes in flight
// uses several ids ("lanes"): `<clientId>.<lane>`, each with its own seq.
// A retry reuses its lane and seq, so the server applies it at most once.

export interface LaneTicket {
  clientId: string;
  seq: number;
  release(): void;
}

export class Lanes {
  private readonly free: number[] = [];
  private readonly seqs: number[] = [];
  private readonly waiting: ((lane: number) => void)[] = [];

  constructor(
    private readonly clientId: string,
    lanesMax: number,
  ) {
    if (!Number.isSafeInteger(lanesMax) || lanesMax < 1) throw new RangeError(`lanesMax must be a positive integer, got ${lanesMax}`);
    for (let i = lanesMax - 1; i >= 0; i--) {
      this.free.push(i);
      this.seqs.push(0);
    }
  }

  /** A lane and the next seq on it; waits while all lanes carry a write. */
  async acquire(): Promise<LaneTicket> {
    const lane = this.free.pop() ?? (await new Promise<number>((resolve) => this.waiting.push(resolve)));
    const seq = ++this.seqs[lane]!;
    let released = false;
    return {
      clientId: `${this.clientId}.${lane}`,
      seq,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiting.shift();
        if (next) next(lane);
        else this.free.push(lane);
      },
    };
  }
}
