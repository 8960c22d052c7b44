// Exactly-once identities for concurrent writes. The server keeps one
// (client id, last seq) per client and rejects an older seq, so one id can
// carry only one write at a time; a client with several writes in flight
// uses several ids ("lanes"): `<clientId>.<lane>`, each with its own seq.
// A retry reuses its lane and seq, so the server applies it at most once.
// Each lane id is registered before its first write (kv's `register` command
// at seq 1; writes take seq 2 on): the server then answers a retry of any
// write whose id it has forgotten with SessionExpiredError instead of applying
// it again. When the server has forgotten an id (its exactly-once table
// evicted it), the lanes take a new identity and register it again.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

export interface LaneTicket {
  clientId: string;
  /** The write's seq (from 2). */
  seq: number;
  /** The id is new: register it (seq 1) before sending the write. */
  register: boolean;
  release(): void;
}

export class Lanes {
  private readonly free: number[] = [];
  private readonly seqs: number[] = [];
  private readonly waiting: ((lane: number) => void)[] = [];

  constructor(
    private clientId: string,
    lanesMax: number,
  ) {
    if (!Number.isSafeInteger(lanesMax) || lanesMax < 1)
      throw new RangeError(`lanesMax must be a positive integer, got ${lanesMax}`);
    for (let i = lanesMax - 1; i >= 0; i--) {
      this.free.push(i);
      this.seqs.push(0);
    }
  }

  /**
   * Continues under a new identity (the server expired the old one): later
   * tickets carry `<clientId>.<lane>`, registered first (seq 1), with writes
   * from seq 2. Writes in flight keep the ticket they hold.
   */
  renew(clientId: string): void {
    if (clientId === this.clientId)
      throw new RangeError(`renew() needs a client id other than the current ${clientId}`);
    this.clientId = clientId;
    this.seqs.fill(0);
  }

  /** A lane and the next seq on it; waits while all lanes carry a write. */
  async acquire(): Promise<LaneTicket> {
    const lane =
      this.free.pop() ?? (await new Promise<number>((resolve) => this.waiting.push(resolve)));
    const register = this.seqs[lane] === 0;
    if (register) this.seqs[lane] = 1;
    const seq = ++this.seqs[lane]!;
    let released = false;
    return {
      clientId: `${this.clientId}.${lane}`,
      seq,
      register,
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

/** The server answered that it no longer remembers this client id (kv's SessionExpiredError, by name: it may have crossed the wire). */
export function isSessionExpired(err: unknown): boolean {
  return err instanceof Error && err.name === 'SessionExpiredError';
}

/** A fresh base id after an expiry: the configured one (kept readable) plus a random part, or a random one. */
export function renewedClientId(configured: string | undefined, random: () => string): string {
  return configured === undefined ? random() : `${configured}~${random()}`;
}

/** Internal to the backends: a write refused as session-expired before any attempt of it could have been applied (safe to repeat under a new id). */
export class ExpiredOnFirstTry extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  constructor(override readonly cause: unknown) {
    super('session expired before any attempt of the write could have been applied');
  }
}

/** Runs a write; if it was refused as session-expired before any attempt could have been applied, runs it once more (under the renewed identity). */
export async function repeatIfExpiredOnFirstTry<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ExpiredOnFirstTry)) throw err;
  }
  try {
    return await run();
  } catch (err) {
    throw err instanceof ExpiredOnFirstTry ? err.cause : err;
  }
}
