// A hand-driven TCP peer for protocol tests: it speaks (or breaks) the wire
// protocol byte by byte.
import { connect, type Socket } from 'node:net';
import type { Message } from '@flotilla/raft';
import { PROTOCOL_VERSION } from '../src/index.js';
import { HOST, waitFor } from './tcp-harness.js';
import { createPackr, encodeBatch } from '../src/codec.js';
import { encodeFrame, FrameDecoder } from '../src/framing.js';

export class RawPeer {
  readonly packr = createPackr();
  readonly replies: unknown[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(1 << 24);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk).frames)
        this.replies.push(this.packr.unpack(frame));
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = connect({ host: HOST, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  /** Sends a hello and waits for the reply. */
  async hello(
    from: number,
    to: number,
    clusterId = 'test',
    v = PROTOCOL_VERSION,
  ): Promise<{ ok: boolean; code?: string; reason?: string }> {
    this.write(encodeFrame(this.packr.pack({ v, clusterId, from, to })));
    await waitFor(() => this.replies.length > 0 || this.closed, 'handshake reply');
    return this.replies[0] as { ok: boolean; code?: string; reason?: string };
  }

  frame(messages: readonly Message[]): Uint8Array {
    return encodeFrame(encodeBatch(this.packr, messages));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
