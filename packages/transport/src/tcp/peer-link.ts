// Everything this node keeps for one peer: the bounded send queue, the one
// connection, and (when this node is the dialer) the reconnect loop.
// Connection ownership: the lower node id dials, the higher accepts; a newer
// accepted connection from the same peer replaces the older one (the peer
// restarted or lost its side). So a pair never keeps two connections.
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import type { Packr } from 'msgpackr';
import type { NodeId } from '@flotilla/raft';
import { backoffDelayMs } from '../backoff.js';
import { createPackr, encodeBatch } from '../codec.js';
import { decodeReply, encodeHello, PROTOCOL_VERSION } from '../handshake.js';
import { SendQueue, type QueuedFrame } from '../send-queue.js';
import type { DropReason, StatsCounter, WireMessage } from '../transport.js';
import { FramedSocket, type OutgoingFrame } from './framed-socket.js';
import type { HandshakeFailures } from './handshake-failures.js';
import type { PeerAddress, ResolvedTcpOptions } from './options.js';
import { certificateIdentity, isTlsError } from './tls.js';

export interface LinkContext {
  readonly options: ResolvedTcpOptions;
  readonly counter: StatsCounter;
  readonly failures: HandshakeFailures;
  /** Decodes a data frame from `peer` and hands it on; throws a PeerProtocolError for bad input. */
  deliver(peer: NodeId, packr: Packr, payload: Uint8Array): void;
}

export class PeerLink {
  /** True when this node dials the peer (the lower id dials). */
  readonly dials: boolean;
  /** One Packr for everything sent to and received from this peer, reused across reconnects. */
  private readonly packr = createPackr();
  private readonly queue: SendQueue;
  private conn: FramedSocket | undefined;
  private dialing: FramedSocket | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  /** Bytes written to `conn` whose write callback has not run yet. */
  private outstandingBytes = 0;
  private closed = false;
  private readonly label: Record<string, unknown>;

  constructor(
    private readonly ctx: LinkContext,
    readonly peer: NodeId,
    private address: PeerAddress,
  ) {
    const { options } = ctx;
    this.dials = options.id < peer;
    this.queue = new SendQueue(options.sendQueueMessagesMax, options.sendQueueBytesMax);
    this.label = { node: options.id, peer };
  }

  start(): void {
    if (this.dials) this.dial();
  }

  /** The next dial goes to the new address; a live connection is kept. */
  setAddress(address: PeerAddress): void {
    this.address = address;
  }

  get queuedMessages(): number {
    return this.queue.messages;
  }

  get queuedBytes(): number {
    return this.queue.bytes;
  }

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  enqueue(messages: readonly WireMessage[]): void {
    const frames: QueuedFrame[] = [];
    const tooLarge = this.encode(messages, frames);
    this.drop(tooLarge, 'tooLarge');
    // msgpackr hands out views of a shared buffer; a frame that may wait a long
    // time gets its own copy, so it does not pin that buffer (flat memory while a peer is down).
    const copy = !this.connected;
    let evicted = 0;
    for (const frame of frames) {
      const queued = copy ? { payload: new Uint8Array(frame.payload), count: frame.count } : frame;
      evicted += this.queue.push(queued).droppedMessages;
      // Flushing per frame lets a batch larger than the queue pass straight to a connected socket.
      this.flush();
    }
    this.drop(evicted, 'queueFull');
  }

  /** Takes an accepted inbound connection (this node is the acceptor). */
  adopt(socket: FramedSocket): void {
    if (this.closed) {
      socket.close('peer link closed');
      return;
    }
    this.attach(socket);
  }

  /** Stops the link; queued messages are reported dropped with `reason`. */
  close(reason: DropReason): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.dialing?.close('transport closing');
    this.conn?.close('transport closing');
    this.drop(this.queue.clear(), reason);
  }

  /** Splits a batch until every frame fits frameBytesMax; returns how many single messages were too large. */
  private encode(messages: readonly WireMessage[], out: QueuedFrame[]): number {
    if (messages.length === 0) return 0;
    const payload = encodeBatch(this.packr, messages);
    if (payload.byteLength <= this.ctx.options.frameBytesMax) {
      out.push({ payload, count: messages.length });
      return 0;
    }
    if (messages.length === 1) {
      this.ctx.options.logger.warn(
        { ...this.label, type: messages[0]!.type, bytes: payload.byteLength },
        'message over frameBytesMax dropped',
      );
      return 1;
    }
    const mid = messages.length >> 1;
    return this.encode(messages.slice(0, mid), out) + this.encode(messages.slice(mid), out);
  }

  private flush(): void {
    const conn = this.conn;
    if (conn === undefined || conn.closed) return;
    const max = this.ctx.options.socketBufferBytesMax;
    const batch: OutgoingFrame[] = [];
    for (let next = this.queue.peek(); next !== undefined; next = this.queue.peek()) {
      const { payload, count } = next;
      const bytes = payload.byteLength;
      if (this.outstandingBytes > 0 && this.outstandingBytes + bytes > max) break;
      this.queue.shift();
      this.outstandingBytes += bytes;
      batch.push({ payload, done: (err) => this.written(conn, count, bytes, err) });
    }
    if (batch.length > 0) conn.write(batch);
  }

  private written(
    conn: FramedSocket,
    count: number,
    bytes: number,
    err: Error | null | undefined,
  ): void {
    if (err != null) {
      this.drop(count, 'peerDown');
      return;
    }
    if (conn !== this.conn) return;
    this.outstandingBytes -= bytes;
    if (this.queue.frames > 0) this.flush();
  }

  private drop(count: number, reason: DropReason): void {
    this.ctx.counter.drop({ peer: this.peer, direction: 'out', count, reason });
  }

  private dial(): void {
    this.retryTimer = undefined;
    if (this.closed || this.conn !== undefined || this.dialing !== undefined) return;
    const { options } = this.ctx;
    const socket = this.connect();
    socket.setNoDelay(options.noDelay);
    let refused = false;
    const sendHello = (): void => {
      framed.write([
        {
          payload: encodeHello(this.packr, {
            v: PROTOCOL_VERSION,
            clusterId: options.clusterId,
            from: options.id,
            to: this.peer,
          }),
        },
      ]);
    };
    if (options.tls === undefined) socket.once('connect', sendHello);
    else {
      // A TLS failure after the TCP connect is a configuration problem (certificates, TLS on one side only): counted, logged, retried slowly.
      let tcpUp = false;
      let secured = false;
      socket.once('connect', () => {
        tcpUp = true;
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (!tcpUp || secured || framed.closed) return;
        // A connection that merely broke (the peer restarting) takes the usual back-off and is not a refusal.
        if (!isTlsError(err)) return;
        refused = true;
        const plain =
          err.code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
          err.code === 'EPROTO' ||
          err.code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG';
        this.ctx.failures.record(
          'tls',
          this.label,
          plain
            ? `TLS handshake with the peer failed (${err.code}): the peer answered in clear; is peer TLS on at the peer?`
            : `TLS handshake with the peer failed (${err.code}): ${err.message.trim()}; check both members' peer certificates and CA`,
        );
      });
      socket.once('secureConnect', () => {
        secured = true;
        const reason = this.serverIdentityProblem(socket as TLSSocket);
        if (reason === undefined) return sendHello();
        refused = true;
        this.ctx.failures.record('identity', this.label, reason);
        framed.close('refused: identity');
      });
    }
    // Registered after the TLS listeners above, so a failure is judged before the FramedSocket closes the socket.
    const framed = new FramedSocket(socket, options.frameBytesMax, options.logger, this.label);
    this.dialing = framed;
    const timer = setTimeout(() => framed.close('handshake timed out'), options.handshakeTimeoutMs);
    framed.onFrame = (payload) => {
      clearTimeout(timer);
      const reply = decodeReply(this.packr, payload);
      if (!reply.ok) {
        refused = true;
        this.ctx.failures.count(reply.code);
        options.logger.warn(
          {
            ...this.label,
            code: reply.code,
            reason: reply.reason,
            retryMs: options.refusedRetryMs,
          },
          'peer refused the handshake; retrying later',
        );
        framed.close(`refused: ${reply.code}`);
        return;
      }
      this.dialing = undefined;
      this.attach(framed);
    };
    framed.onClose = (reason) => {
      clearTimeout(timer);
      this.dialing = undefined;
      options.logger.debug({ ...this.label, reason }, 'dial failed');
      this.redial(refused ? options.refusedRetryMs : undefined);
    };
  }

  private connect(): Socket {
    const { tls } = this.ctx.options;
    const { host, port } = this.address;
    if (tls === undefined) return connect({ host, port });
    // The acceptor's certificate must chain to the trusted CA and be valid for the host dialed (Node's default check).
    return connectTls({ host, port, secureContext: tls.context, rejectUnauthorized: true });
  }

  /** Why the acceptor's verified certificate is not the peer this link dials, if it is not. */
  private serverIdentityProblem(socket: TLSSocket): string | undefined {
    const { tls } = this.ctx.options;
    const identity = certificateIdentity(tls!, socket.getPeerCertificate());
    if (!identity.ok) return `the peer's certificate: ${identity.reason}`;
    if (identity.id !== this.peer)
      return `dialed node ${this.peer} at ${this.address.host}:${this.address.port}, but its certificate names node ${identity.id}; check the peer addresses`;
    return undefined;
  }

  /** Dials again after `delayMs`, or after the next jittered back-off step. */
  private redial(delayMs?: number): void {
    if (this.closed || !this.dials) return;
    const { reconnect, rng } = this.ctx.options;
    const wait = delayMs ?? backoffDelayMs(this.attempt++, reconnect, rng);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.dial(), wait);
  }

  private attach(framed: FramedSocket): void {
    const previous = this.conn;
    this.conn = framed;
    // An accepted socket was labelled by its remote address only; from now on logs name the peer.
    Object.assign(framed.label, this.label);
    this.outstandingBytes = 0;
    this.attempt = 0;
    framed.onFrame = (payload) => this.ctx.deliver(this.peer, this.packr, payload);
    framed.onClose = (reason) => this.detached(framed, reason);
    previous?.close('replaced by a newer connection from the same peer');
    this.ctx.options.logger.info(this.label, 'connected');
    this.flush();
  }

  private detached(framed: FramedSocket, reason: string): void {
    if (this.conn !== framed) return;
    this.conn = undefined;
    this.ctx.options.logger.info({ ...this.label, reason }, 'connection lost');
    this.redial();
  }
}
