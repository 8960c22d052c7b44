// Overload protection for the HTTP server: every limit with its default, the
// in-flight body-byte budget, and the refusals they answer with. A busy host
// must refuse work it cannot take rather than queue it: a leader whose event
// loop is blocked by parsing hundreds of large bodies, or by writing to
// thousands of watch streams, misses heartbeats and is deposed.
import { EtcdMessage, GatewayError } from '../codec/gateway-error.js';
import { GrpcCode } from '../codec/grpc-code.js';
import { BODY_BYTES_MAX_DEFAULT } from './body.js';

export interface HttpLimits {
  /** Largest request body (JSON). Larger: 429 ResourceExhausted, as etcd's gRPC message limit. */
  readonly bodyBytesMax: number;
  /**
   * Body bytes of all requests being handled at once (taken from Content-Length before
   * the body is read, given back when the answer is sent). Beyond: 429 "too many requests".
   */
  readonly inflightBodyBytesMax: number;
  /** Time a client has to send the request headers (slowloris): then 408 and close. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request (headers and body): then 408 and close. */
  readonly requestTimeoutMs: number;
  /** Open client connections; more are closed as soon as they are accepted. */
  readonly connectionsMax: number;
  /** Open watch streams on this server. */
  readonly watchStreamsMax: number;
  /** Open watch streams on one connection (HTTP/1.1 pipelining can queue many on one socket). */
  readonly watchStreamsPerConnectionMax: number;
  /** Bytes of one watch stream waiting to be sent to its client; beyond, the watch is cancelled as slow. */
  readonly watchStreamBufferBytesMax: number;
}

export const HTTP_LIMITS_DEFAULT: Readonly<HttpLimits> = Object.freeze({
  bodyBytesMax: BODY_BYTES_MAX_DEFAULT,
  // About three bodies of the largest size. With 32 MiB, 300 concurrent 2.7 MB puts caused 7 leader
  // changes in a 3-member cluster on a loaded 2-core host, with 8 MiB 1 (benchmarks/overload): every
  // admitted body is held, parsed and decoded at once, and the heap it fills lengthens GC pauses.
  inflightBodyBytesMax: 8 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  connectionsMax: 10_000,
  watchStreamsMax: 10_000,
  watchStreamsPerConnectionMax: 16,
  watchStreamBufferBytesMax: 4 * 1024 * 1024,
});

export function resolveHttpLimits(partial: Partial<HttpLimits> | undefined): HttpLimits {
  const limits: HttpLimits = { ...HTTP_LIMITS_DEFAULT, ...dropUndefined(partial ?? {}) };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`HTTP limit ${name} must be a positive integer, got ${String(value)}`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError(
      `headersTimeoutMs (${limits.headersTimeoutMs}) must not be longer than requestTimeoutMs (${limits.requestTimeoutMs}): the headers are part of the request`,
    );
  }
  if (limits.inflightBodyBytesMax < limits.bodyBytesMax) {
    throw new RangeError(
      `inflightBodyBytesMax (${limits.inflightBodyBytesMax}) must be at least bodyBytesMax (${limits.bodyBytesMax}), or the largest request could never be taken`,
    );
  }
  return limits;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** How often Node checks the header and request timeouts: often enough that they hold within a quarter. */
export function connectionsCheckingIntervalMs(limits: HttpLimits): number {
  return Math.max(
    10,
    Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
  );
}

/** A shared count of bytes with a ceiling: taken before work starts, given back when it ends. */
export class ByteBudget {
  private used = 0;

  constructor(readonly bytesMax: number) {}

  get inUseBytes(): number {
    return this.used;
  }

  /** Takes `bytes` if they fit; false (and nothing taken) if not. */
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.bytesMax) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
    if (this.used < 0) throw new Error(`ByteBudget: gave back more than was taken (${this.used})`);
  }
}

/** The refusal of a request that would overrun the in-flight budget: etcd's "too many requests", 429. */
export function tooManyRequests(
  inUseBytes: number,
  wantBytes: number,
  budget: number,
): GatewayError {
  return new GatewayError(
    GrpcCode.ResourceExhausted,
    `${EtcdMessage.tooManyRequests} (this member is handling ${inUseBytes} request bytes and this request brings ${wantBytes}; inflightBodyBytesMax is ${budget}: retry with backoff, or spread requests over members)`,
  );
}

export function tooManyWatchStreams(
  open: number,
  limit: 'watchStreamsMax' | 'watchStreamsPerConnectionMax',
  max: number,
): GatewayError {
  const where = limit === 'watchStreamsMax' ? 'this server' : 'this connection';
  return new GatewayError(
    GrpcCode.ResourceExhausted,
    `${EtcdMessage.tooManyRequests} (${where} has ${open} open watch streams, ${limit} is ${max}; close some, or watch from another member)`,
  );
}

/** The cancel reason of a watch whose client does not read what is sent. */
export function slowWatcherReason(
  bufferedBytes: number,
  max: number,
  resumeRevision: number,
): string {
  return `slow watcher: ${bufferedBytes} bytes waiting to be sent to this client (watchStreamBufferBytesMax ${max}); read faster, then watch again from start_revision ${resumeRevision}`;
}

/** The declared body length, or undefined when the client streams it (chunked) or sends none. */
export function declaredBodyBytes(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Lets one large request at a time run its synchronous part (JSON parse and
 * decode, a few ms per MiB) and lets the event loop turn between two of them,
 * so timers (the Raft ticks that send heartbeats) run in between. Without it,
 * a burst of large bodies finishing together is parsed back to back in one
 * turn of the loop: on main 300 of them blocked a leader for 2.9 s.
 */
export class ParseGate {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly largeBytesMin: number) {}

  /** Resolves when `bytes` may be parsed; small bodies pass at once. Call leave() after the synchronous work. */
  enter(bytes: number): Promise<boolean> | boolean {
    if (bytes < this.largeBytesMin) return false;
    if (!this.busy) {
      this.busy = true;
      return true;
    }
    return new Promise((resolve) => this.waiting.push(() => resolve(true)));
  }

  /** Lets the next large body in on a later turn of the event loop (after timers). */
  leave(): void {
    setTimeout(() => {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy = false;
    }, 0);
  }

  get queued(): number {
    return this.waiting.length;
  }
}

/** Bodies from this size on go through the ParseGate one per event-loop turn. */
export const LARGE_BODY_BYTES_MIN = 256 * 1024;

/**
 * Spreads the writes of many watch streams over turns of the event loop: at
 * most `perTurn` stream writes go in one turn, the rest wait for the next
 * (setImmediate), so timers and peer I/O run in between. Without it, one put
 * watched by thousands of streams is encoded and written to all of them in a
 * single run of microtasks, which on main blocked the loop long enough for
 * 5,000 watch streams to depose the leader.
 */
export class TurnPacer {
  private used = 0;
  private scheduled = false;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly perTurn: number) {}

  /** undefined: go now; else a promise that resolves on a later turn. */
  turn(): Promise<void> | undefined {
    if (this.used < this.perTurn && this.waiting.length === 0) {
      this.used++;
      this.schedule();
      return undefined;
    }
    const later = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.schedule();
    return later;
  }

  get queued(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.nextTurn());
  }

  private nextTurn(): void {
    this.scheduled = false;
    this.used = 0;
    while (this.used < this.perTurn && this.waiting.length > 0) {
      this.used++;
      this.waiting.shift()!();
    }
    if (this.used > 0) this.schedule();
  }
}

/** Watch stream writes per event-loop turn (a write is a JSON encode of one response, ≈ 10–50 µs for small events). */
export const WATCH_WRITES_PER_TURN = 200;
