// etcdctl 3.4 dials an endpoint given as a URL (`endpoint status` and
// `endpoint health` with --endpoints http://host:port, and every `--cluster`
// command, which dials the members' client URLs) with the whole URL as the
// HTTP/2 `:authority` ("http://host:port"). etcd's Go server accepts that;
// Node's HTTP/2 (nghttp2) refuses it as malformed and resets the stream, so
// these commands failed against Flotilla. This stream sits between an
// accepted HTTP/2 connection and the gRPC server and rewrites such an
// authority to its host:port. Header blocks are HPACK-compressed with a
// dynamic table, so every block is decoded (following the client's table)
// and re-encoded without indexing (the server's table stays empty); all other
// frames pass through untouched, and the server's replies are not touched.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import hpack from 'hpack.js';

const PREFACE_BYTES = 24;
const FRAME_HEADER_BYTES = 9;
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** The HTTP/2 default SETTINGS_MAX_FRAME_SIZE: re-encoded blocks are cut to it. */
const FRAME_BYTES_MAX = 16_384;
/** The HTTP/2 default SETTINGS_HEADER_TABLE_SIZE, which the client's encoder starts from. */
const HEADER_TABLE_BYTES = 4_096;
/** A header block larger than this (across CONTINUATION frames) closes the connection. */
export const HEADER_BLOCK_BYTES_MAX = 64 * 1024;

interface HpackHeader {
  name: string;
  value: string;
  neverIndex?: boolean;
  incremental?: boolean;
}

/** "http://host:port" or "https://host:port/…" → "host:port"; anything else as it is. */
export function authorityOf(value: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(value);
  return m === null ? value : m[1]!;
}

/** Wraps an accepted HTTP/2 connection (starting with the client preface) for the gRPC server. */
export function withFixedAuthority(socket: Socket): Duplex {
  return new AuthorityFixer(socket);
}

class AuthorityFixer extends Duplex {
  private pending: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private readonly decoder = hpack.decompressor.create({ table: { size: HEADER_TABLE_BYTES } });
  private readonly encoder = hpack.compressor.create({ table: { size: HEADER_TABLE_BYTES } });
  /** A HEADERS frame waiting for its CONTINUATION frames. */
  private block:
    | { streamId: number; endStream: boolean; parts: Buffer[]; bytes: number }
    | undefined;

  constructor(private readonly socket: Socket) {
    super();
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy(err ?? undefined);
    cb(err);
  }

  private forward(bytes: Buffer): void {
    if (!this.push(bytes)) this.socket.pause();
  }

  private feed(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.drain();
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  private drain(): void {
    if (!this.prefaceSeen) {
      if (this.pending.length < PREFACE_BYTES) return;
      this.forward(this.pending.subarray(0, PREFACE_BYTES));
      this.pending = this.pending.subarray(PREFACE_BYTES);
      this.prefaceSeen = true;
    }
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const length = this.pending.readUIntBE(0, 3);
      const total = FRAME_HEADER_BYTES + length;
      if (this.pending.length < total) return;
      const frame = this.pending.subarray(0, total);
      this.pending = this.pending.subarray(total);
      const type = frame[3]!;
      if (type === HEADERS || type === CONTINUATION) this.headerFrame(frame, type);
      else this.forward(frame);
    }
  }

  private headerFrame(frame: Buffer, type: number): void {
    const flags = frame[4]!;
    const streamId = frame.readUInt32BE(5) & 0x7fffffff;
    let payload = frame.subarray(FRAME_HEADER_BYTES);
    if (type === HEADERS) {
      if (this.block !== undefined)
        throw new Error('HTTP/2: HEADERS inside an unfinished header block');
      const padBytes = flags & PADDED ? payload[0]! : 0;
      payload = payload.subarray(flags & PADDED ? 1 : 0, payload.length - padBytes);
      if (flags & PRIORITY) payload = payload.subarray(5);
      this.block = { streamId, endStream: (flags & END_STREAM) !== 0, parts: [], bytes: 0 };
    } else if (this.block === undefined || this.block.streamId !== streamId) {
      throw new Error('HTTP/2: CONTINUATION outside a header block');
    }
    const block = this.block;
    block.parts.push(payload);
    block.bytes += payload.length;
    if (block.bytes > HEADER_BLOCK_BYTES_MAX)
      throw new Error(`HTTP/2: a header block over ${HEADER_BLOCK_BYTES_MAX} bytes`);
    if ((flags & END_HEADERS) === 0) return;
    this.block = undefined;
    this.emitHeaders(block.streamId, block.endStream, this.rewrite(Buffer.concat(block.parts)));
  }

  /** Decodes a header block (following the client's dynamic table) and encodes it again, fixed. */
  private rewrite(block: Buffer): Buffer {
    this.decoder.write(block);
    this.decoder.execute();
    const headers: HpackHeader[] = [];
    for (
      let h = this.decoder.read() as HpackHeader | null;
      h !== null;
      h = this.decoder.read() as HpackHeader | null
    ) {
      const value = h.name === ':authority' ? authorityOf(h.value) : h.value;
      headers.push({ name: h.name, value, neverIndex: h.neverIndex === true, incremental: false });
    }
    this.encoder.write(headers);
    const out: Buffer[] = [];
    for (
      let c = this.encoder.read() as Buffer | null;
      c !== null;
      c = this.encoder.read() as Buffer | null
    )
      out.push(c);
    return Buffer.concat(out);
  }

  private emitHeaders(streamId: number, endStream: boolean, block: Buffer): void {
    for (let at = 0, first = true; first || at < block.length; first = false) {
      const part = block.subarray(at, at + FRAME_BYTES_MAX);
      at += part.length;
      const last = at >= block.length;
      const head = Buffer.alloc(FRAME_HEADER_BYTES);
      head.writeUIntBE(part.length, 0, 3);
      head[3] = first ? HEADERS : CONTINUATION;
      head[4] = (first && endStream ? END_STREAM : 0) | (last ? END_HEADERS : 0);
      head.writeUInt32BE(streamId, 5);
      this.forward(Buffer.concat([head, part]));
    }
  }
}
