// A socket that speaks frames: decodes incoming bytes into payloads and writes
// outgoing payloads corked (header and payload of every frame of a batch go
// out in one writev). Anything the peer sends that breaks the protocol closes
// this connection with a logged reason; nothing here throws to the caller.
import type { Socket } from 'node:net';
import { PeerProtocolError } from '../errors.js';
import { FrameDecoder, frameHeader } from '../framing.js';
import type { Logger } from '../logger.js';

export interface OutgoingFrame {
  readonly payload: Uint8Array;
  /** Called once the frame left the process (err undefined) or could not (err set). */
  readonly done?: (err: Error | null | undefined) => void;
}

export class FramedSocket {
  readonly decoder: FrameDecoder;
  /** Handles one payload; a thrown PeerProtocolError closes the connection. */
  onFrame: (payload: Uint8Array) => void = () => {};
  /** Called once, when the socket is gone. */
  onClose: (reason: string) => void = () => {};
  private closing = false;
  private closeReason = 'closed';
  private gone = false;

  constructor(
    readonly socket: Socket,
    frameBytesMax: number,
    private readonly logger: Logger,
    readonly label: Record<string, unknown>,
  ) {
    this.decoder = new FrameDecoder(frameBytesMax);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => {
      const error = this.decoder.end();
      if (error !== undefined) this.fail(error);
      else this.close('peer closed the connection');
    });
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => {
      if (this.gone) return;
      this.gone = true;
      this.closing = true;
      this.onClose(this.closeReason);
    });
  }

  /** True once closing started: no more frames are delivered or written. */
  get closed(): boolean {
    return this.closing;
  }

  /** Bytes handed to the socket and not yet flushed to the kernel. */
  get writableBytes(): number {
    return this.socket.writableLength;
  }

  write(frames: readonly OutgoingFrame[]): void {
    if (this.closing) {
      for (const frame of frames) frame.done?.(new Error('connection closed'));
      return;
    }
    this.socket.cork();
    for (const frame of frames) {
      this.socket.write(frameHeader(frame.payload.byteLength));
      this.socket.write(frame.payload, frame.done);
    }
    this.socket.uncork();
  }

  /** Closes now; `reason` is logged at debug level (ordinary closes) — protocol violations go through `fail`. */
  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.logger.debug({ ...this.label, reason }, 'closing connection');
    this.socket.destroy();
  }

  /** Sends what was written so far, then closes (used to deliver a handshake refusal). */
  end(reason: string, lingerMs: number): void {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.socket.end();
    // A peer that never closes its side must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), lingerMs).unref();
  }

  /** Writes one last frame (a handshake refusal), then ends; nothing more is read. */
  refuse(payload: Uint8Array, reason: string, lingerMs: number): void {
    if (this.closing) return;
    this.write([{ payload }]);
    this.end(reason, lingerMs);
  }

  /** Closes because the peer broke the protocol: always logged as a warning with the reason. */
  fail(error: Error): void {
    if (this.closing) return;
    this.logger.warn(
      { ...this.label, err: error.name, reason: error.message },
      'closing connection: peer broke the protocol',
    );
    this.close(`${error.name}: ${error.message}`);
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    // A plain Uint8Array view (no copy): decoded byte fields then come out as
    // plain Uint8Array too, whichever way the frame was split across chunks.
    const { frames, error } = this.decoder.push(
      new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
    for (const payload of frames) {
      if (this.closing) return;
      try {
        this.onFrame(payload);
      } catch (err) {
        // Never let one connection's bad input escape into the event loop and end the process.
        this.fail(err instanceof Error ? err : new PeerProtocolError(String(err)));
      }
    }
    if (error !== undefined) this.fail(error);
  }
}
