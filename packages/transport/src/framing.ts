// Length-prefixed frames: a 4-byte big-endian payload length, then the
// payload. The decoder checks a length against the maximum before it buffers
// a single byte of the payload, so a lying prefix cannot make it allocate
// more than frameBytesMax; any error is final for the stream.
import {
  EmptyFrameError,
  FrameTooLargeError,
  TruncatedFrameError,
  type PeerProtocolError,
} from './errors.js';

export const FRAME_HEADER_BYTES = 4;
/** The largest length a 4-byte prefix can express. */
export const FRAME_BYTES_LIMIT = 0xffff_ffff;

/** The 4-byte prefix for a payload of `payloadBytes`. */
export function frameHeader(payloadBytes: number): Uint8Array {
  if (!Number.isInteger(payloadBytes) || payloadBytes < 1 || payloadBytes > FRAME_BYTES_LIMIT) {
    throw new RangeError(
      `frame payload must be 1..${FRAME_BYTES_LIMIT} bytes, got ${payloadBytes}`,
    );
  }
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(header.buffer).setUint32(0, payloadBytes);
  return header;
}

/** Header and payload in one array (tests and one-off writes; the transport writes the two parts corked). */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  frame.set(frameHeader(payload.byteLength), 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export interface DecodeResult {
  /** Complete payloads, in order. They may share memory with the pushed chunk. */
  readonly frames: Uint8Array[];
  /** Set once the stream is invalid; every later push returns it again. */
  readonly error: PeerProtocolError | undefined;
}

export class FrameDecoder {
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private error: PeerProtocolError | undefined;

  /** May be raised after a handshake (a connection starts with a small limit until the peer is known). */
  constructor(public frameBytesMax: number) {
    if (
      !Number.isInteger(frameBytesMax) ||
      frameBytesMax < 1 ||
      frameBytesMax > FRAME_BYTES_LIMIT
    ) {
      throw new RangeError(
        `frameBytesMax must be an integer in 1..${FRAME_BYTES_LIMIT}, got ${frameBytesMax}`,
      );
    }
  }

  /** Bytes held for a frame not yet complete (header and payload so far). */
  get bufferedBytes(): number {
    return this.headerFill + (this.body?.byteLength ?? 0);
  }

  push(chunk: Uint8Array): DecodeResult {
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (this.error === undefined && offset < chunk.byteLength) {
      offset =
        this.body === undefined
          ? this.readHeader(chunk, offset, frames)
          : this.readBody(chunk, offset, frames);
    }
    return { frames, error: this.error };
  }

  /** Call when the stream ends: an error if it ended inside a frame. */
  end(): PeerProtocolError | undefined {
    if (this.error !== undefined) return this.error;
    if (this.headerFill > 0)
      this.error = new TruncatedFrameError(FRAME_HEADER_BYTES - this.headerFill);
    else if (this.body !== undefined)
      this.error = new TruncatedFrameError(this.body.byteLength - this.bodyFill);
    return this.error;
  }

  private readHeader(chunk: Uint8Array, offset: number, frames: Uint8Array[]): number {
    const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.byteLength - offset);
    this.header.set(chunk.subarray(offset, offset + take), this.headerFill);
    this.headerFill += take;
    offset += take;
    if (this.headerFill < FRAME_HEADER_BYTES) return offset;
    this.headerFill = 0;
    const length = new DataView(this.header.buffer).getUint32(0);
    if (length === 0) {
      this.error = new EmptyFrameError();
      return offset;
    }
    if (length > this.frameBytesMax) {
      this.error = new FrameTooLargeError(length, this.frameBytesMax);
      return offset;
    }
    if (chunk.byteLength - offset >= length) {
      // The whole payload is in this chunk: hand out a view, copy nothing.
      frames.push(chunk.subarray(offset, offset + length));
      return offset + length;
    }
    this.body = new Uint8Array(length);
    this.bodyFill = 0;
    return offset;
  }

  private readBody(chunk: Uint8Array, offset: number, frames: Uint8Array[]): number {
    const body = this.body!;
    const take = Math.min(body.byteLength - this.bodyFill, chunk.byteLength - offset);
    body.set(chunk.subarray(offset, offset + take), this.bodyFill);
    this.bodyFill += take;
    if (this.bodyFill === body.byteLength) {
      frames.push(body);
      this.body = undefined;
      this.bodyFill = 0;
    }
    return offset + take;
  }
}
