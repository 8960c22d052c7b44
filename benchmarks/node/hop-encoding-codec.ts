// The three ways hop-encoding.ts moves one batch of messages between threads:
//
// - clone: postMessage(batch), V8's structured clone of the object graph (what
//   packages/node's thread hop does today);
// - copy: msgpackr packs the batch, the bytes are copied into an ArrayBuffer of
//   their own, which is transferred;
// - fresh: msgpackr packs straight into a new buffer handed to it for this
//   pack (Packr.useBuffer), which is transferred: one copy fewer.
//
// Why not transfer what pack() returns: msgpackr packs every Packr of a
// thread into ONE module-wide buffer and returns views of it. Transferring it
// detaches that buffer, and with it every view another Packr handed out and
// its caller still holds (they read as empty: kv's layout.ts returns such
// views). msgpackr survives (it allocates anew) but the other data is lost.
//
// Decoding a transferred buffer is zero-copy: msgpackr returns binary fields
// as views of the received Uint8Array (plain Uint8Arrays, not Buffers, since
// the source is one), which keep the whole transferred buffer alive.
import { Packr } from 'msgpackr';

export type Crossing = 'clone' | 'copy' | 'fresh';
export const CROSSINGS: readonly Crossing[] = ['clone', 'copy', 'fresh'];

/** How packages/node/src/wire.ts configures msgpackr: no record extension, maps decode as objects. */
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** The smallest buffer handed to msgpackr ('fresh'); msgpackr starts anew below 2 KiB of room. */
const FRESH_BYTES_MIN = 8 << 10;

/** The host's orders to the worker (kept in order with the batches): how to answer, and a CPU reading. */
export type HopControl =
  | { readonly ctl: 'crossing'; readonly how: Crossing }
  | { readonly ctl: 'cpu'; readonly us?: number | undefined };

/** Something to post to: a Worker, a MessagePort. */
export interface PostTarget {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
}

/** Encodes and posts batches one way; keeps the size hint of the 'fresh' crossing. */
export class HopSender {
  /** 'fresh': the buffer for the next pack is sized from the last one, so msgpackr rarely grows it. */
  private hintBytes = FRESH_BYTES_MIN;
  /** Bytes of the last encoded post (0 for 'clone', whose serialized size is not visible). */
  lastBytes = 0;

  constructor(private readonly to: PostTarget) {}

  send(batch: unknown[], how: Crossing): void {
    if (how === 'clone') {
      this.to.postMessage(batch);
      return;
    }
    const bytes = how === 'copy' ? new Uint8Array(packr.pack(batch)) : this.packFresh(batch);
    this.lastBytes = bytes.byteLength;
    this.to.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
  }

  private packFresh(batch: unknown[]): Uint8Array {
    packr.useBuffer(Buffer.allocUnsafeSlow(this.hintBytes));
    const out = packr.pack(batch);
    // msgpackr's module-wide buffer must not be the one about to be detached: the next pack of
    // any Packr in this thread would write into it.
    packr.useBuffer(Buffer.allocUnsafeSlow(FRESH_BYTES_MIN));
    this.hintBytes = Math.max(FRESH_BYTES_MIN, out.byteLength + (out.byteLength >> 3) + 64);
    return out;
  }
}

/** A received post as the batch it carries (`data` is the array itself for 'clone'). */
export function receiveBatch(data: unknown): unknown[] {
  if (Array.isArray(data)) return data;
  if (data instanceof Uint8Array) return packr.unpack(data) as unknown[];
  throw new TypeError(`a hop post is an array or a Uint8Array, got ${typeof data}`);
}
