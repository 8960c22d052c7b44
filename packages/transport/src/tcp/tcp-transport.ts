// Raft messages over TCP: one connection per peer pair (the lower id dials),
// a handshake that checks protocol version, cluster id and node ids, and
// length-prefixed msgpackr frames. Sending never blocks or throws: messages
// are queued per peer within a bound or dropped and reported.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  createServer as createTlsServer,
  type Server as TlsServer,
  type TLSSocket,
} from 'node:tls';
import type { Packr } from 'msgpackr';
import type { NodeId } from '@flotilla/raft';
import { createPackr, decodeBatch } from '../codec.js';
import { PeerProtocolError, TransportOptionsError } from '../errors.js';
import {
  checkHello,
  decodeHello,
  encodeReply,
  HANDSHAKE_FRAME_BYTES_MAX,
  type HelloReply,
} from '../handshake.js';
import {
  splitDeliver,
  StatsCounter,
  type DropHandler,
  type MessageHandler,
  type NodeMessageHandler,
  type Transport,
  type TransportStats,
  type WireMessage,
} from '../transport.js';
import { FramedSocket } from './framed-socket.js';
import type { LinkFaults } from './link-faults.js';
import {
  resolveTcpOptions,
  type PeerAddress,
  type ResolvedTcpOptions,
  type TcpTransportOptions,
} from './options.js';
import { PeerLink } from './peer-link.js';
import { HandshakeFailures, type HandshakeFailureReason } from './handshake-failures.js';
import { certificateIdentity, isTlsError, looksLikeTls, type PeerTls } from './tls.js';

const remoteOf = (socket: Socket): string => `${socket.remoteAddress}:${socket.remotePort}`;

/** How long a refused inbound connection may linger for its refusal to be read. */
const REFUSAL_LINGER_MS = 1000;

export class TcpTransport implements Transport {
  readonly id: NodeId;
  private readonly options: ResolvedTcpOptions;
  private readonly counter = new StatsCounter();
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly server: Server;
  private readonly pending = new Set<FramedSocket>();
  private readonly handshakePackr = createPackr();
  private readonly bound: Promise<{ port: number }>;
  private readonly delayedTo = new Map<NodeId, number>();
  private readonly delayTimers = new Set<NodeJS.Timeout>();
  private readonly failures: HandshakeFailures;
  /** With peer TLS: does the TLS handshakes of accepted connections (never listens itself). */
  private readonly tlsServer: TlsServer | undefined;
  /** Accepted connections still in their TLS handshake, by remote address; they count against pendingHandshakesMax. */
  private readonly tlsHandshaking = new Map<string, Socket>();
  private handler: MessageHandler | undefined;
  private nodeHandler: NodeMessageHandler | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: TcpTransportOptions) {
    this.options = resolveTcpOptions(options);
    this.id = this.options.id;
    this.failures = new HandshakeFailures(this.options.logger);
    this.server = createServer((socket) => this.accept(socket));
    this.tlsServer =
      this.options.tls === undefined ? undefined : this.makeTlsServer(this.options.tls);
    this.bound = new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.listen.port, this.options.listen.host, () => {
        this.server.off('error', reject);
        resolve({ port: (this.server.address() as AddressInfo).port });
      });
    });
    this.bound.catch((err: Error) =>
      this.options.logger.warn({ node: this.id, reason: err.message }, 'could not listen'),
    );
    this.server.on('error', (err) =>
      this.options.logger.warn({ node: this.id, reason: err.message }, 'server error'),
    );
    for (const [peer, address] of this.options.peers) this.addPeer(peer, address);
  }

  /** Resolves with the bound port once the server listens (rejects if it cannot). */
  listening(): Promise<{ port: number }> {
    return this.bound;
  }

  /** The fault-injection hook, when one was configured. */
  get faults(): LinkFaults | undefined {
    return this.options.faults;
  }

  /** Adds a peer (membership change), or updates the address the next dial uses. */
  addPeer(peer: NodeId, address: PeerAddress): void {
    if (peer === this.id || !Number.isInteger(peer) || peer < 1)
      throw new TransportOptionsError(
        `peer id must be a positive integer other than this node's id ${this.id}, got ${peer}`,
      );
    const existing = this.links.get(peer);
    if (existing !== undefined) {
      existing.setAddress(address);
      return;
    }
    if (this.closing !== undefined) return;
    const link = new PeerLink(
      {
        options: this.options,
        counter: this.counter,
        failures: this.failures,
        deliver: (from, packr, payload) => this.deliver(from, packr, payload),
      },
      peer,
      address,
    );
    this.links.set(peer, link);
    link.start();
  }

  /** Forgets a peer: closes its connection; its queued messages are dropped as `peerDown`. */
  removePeer(peer: NodeId): void {
    this.links.get(peer)?.close('peerDown');
    this.links.delete(peer);
  }

  send(to: NodeId, messages: readonly WireMessage[]): void {
    const count = messages.length;
    if (count === 0) return;
    this.counter.sent += count;
    if (this.closing !== undefined) return this.drop(to, count, 'closed');
    const link = this.links.get(to);
    if (link === undefined) return this.drop(to, count, 'unknownPeer');
    const faults = this.options.faults;
    if (faults === undefined) return link.enqueue(messages);
    if (faults.isBlocked(to, 'out')) return this.drop(to, count, 'fault');
    const delayMs = faults.delayMs(to);
    if (delayMs === 0) return link.enqueue(messages);
    this.delay(to, [...messages], delayMs);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  onNodeMessage(handler: NodeMessageHandler): void {
    this.nodeHandler = handler;
  }

  onDrop(handler: DropHandler): void {
    this.counter.onDrop(handler);
  }

  stats(): TransportStats {
    const queued = new Map<NodeId, number>();
    for (const [peer, link] of this.links) {
      const n = link.queuedMessages + (this.delayedTo.get(peer) ?? 0);
      if (n > 0) queued.set(peer, n);
    }
    return this.counter.snapshot(queued);
  }

  /** Connections refused before reaching the Raft layer, by reason (both directions; see HandshakeFailureReason). */
  handshakeFailures(): Partial<Record<HandshakeFailureReason, number>> {
    return this.failures.snapshot();
  }

  /** Whether peer connections use mutual TLS. */
  get tls(): boolean {
    return this.options.tls !== undefined;
  }

  /** Per-peer connection state and queue size in bytes, for status pages and tests. */
  peers(): Map<NodeId, { connected: boolean; queuedMessages: number; queuedBytes: number }> {
    const out = new Map<
      NodeId,
      { connected: boolean; queuedMessages: number; queuedBytes: number }
    >();
    for (const [peer, link] of this.links)
      out.set(peer, {
        connected: link.connected,
        queuedMessages: link.queuedMessages,
        queuedBytes: link.queuedBytes,
      });
    return out;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.delayTimers) clearTimeout(timer);
    this.delayTimers.clear();
    for (const [peer, n] of this.delayedTo) this.drop(peer, n, 'closed');
    this.delayedTo.clear();
    for (const link of this.links.values()) link.close('closed');
    for (const framed of this.pending) framed.close('transport closing');
    for (const raw of this.tlsHandshaking.values()) raw.destroy();
    this.tlsHandshaking.clear();
    this.pending.clear();
    await this.bound.catch(() => undefined);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private drop(
    peer: NodeId,
    count: number,
    reason: 'closed' | 'unknownPeer' | 'fault' | 'queueFull',
  ): void {
    this.counter.drop({ peer, direction: 'out', count, reason });
  }

  /** The fault hook's link delay: messages wait in a timer, within the per-peer message bound. */
  private delay(to: NodeId, messages: WireMessage[], delayMs: number): void {
    const held = this.delayedTo.get(to) ?? 0;
    if (held + messages.length > this.options.sendQueueMessagesMax)
      return this.drop(to, messages.length, 'queueFull');
    this.delayedTo.set(to, held + messages.length);
    const timer = setTimeout(() => {
      this.delayTimers.delete(timer);
      this.delayedTo.set(to, (this.delayedTo.get(to) ?? 0) - messages.length);
      const link = this.links.get(to);
      if (link === undefined) this.drop(to, messages.length, 'unknownPeer');
      else link.enqueue(messages);
    }, delayMs);
    this.delayTimers.add(timer);
  }

  private accept(raw: Socket): void {
    const { logger, pendingHandshakesMax, noDelay } = this.options;
    const label = { node: this.id, remote: remoteOf(raw) };
    const pending = this.pending.size + this.tlsHandshaking.size;
    if (this.closing !== undefined || pending >= pendingHandshakesMax) {
      logger.warn(
        { ...label, pending },
        'inbound connection closed unheard: transport closing or too many handshakes in progress',
      );
      raw.destroy();
      return;
    }
    raw.setNoDelay(noDelay);
    if (this.tlsServer === undefined) return this.handshake(raw, undefined);
    this.tlsHandshaking.set(label.remote, raw);
    raw.once('close', () => this.tlsHandshaking.delete(label.remote));
    this.tlsServer.emit('connection', raw);
  }

  /** The TLS server that verifies dialers: asks each for a certificate; the verdict is ours (verifyDialer), so it is counted and logged. */
  private makeTlsServer(tls: PeerTls): TlsServer {
    const server = createTlsServer({
      ...tls.pem,
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: this.options.handshakeTimeoutMs,
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      const label = { node: this.id, remote: remoteOf(socket) };
      this.tlsHandshaking.delete(label.remote);
      if (this.closing !== undefined) return void socket.destroy();
      const verdict = this.verifyDialer(socket, tls);
      if (verdict.ok) return this.handshake(socket, verdict.id);
      this.failures.record(verdict.reason, label, verdict.detail);
      // Told over the TLS connection, so the dialer logs why and waits refusedRetryMs instead of redialing at once.
      this.refuse(socket, label, { ok: false, code: verdict.reason, reason: verdict.detail });
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      const label = { node: this.id, remote: remoteOf(socket) };
      this.tlsHandshaking.delete(label.remote);
      this.tlsFailed(err, label);
      socket.destroy();
    });
    return server;
  }

  /**
   * Reads the dialer's hello and accepts or refuses it. `certifiedId` is the
   * node a verified certificate names (TLS), which the hello must claim.
   */
  private handshake(socket: Socket, certifiedId: NodeId | undefined): void {
    const { logger, handshakeTimeoutMs } = this.options;
    const label = { node: this.id, remote: remoteOf(socket) };
    if (certifiedId === undefined && this.tlsServer === undefined) {
      // Registered before the FramedSocket's own listener, so a TLS hello is named as such before the decoder chokes on it.
      socket.once('data', (chunk: Buffer) => {
        if (!looksLikeTls(chunk)) return;
        const reason =
          'a TLS client connected to this plain-TCP peer port; turn peer TLS on here or off there';
        this.failures.record('tlsOnPlain', label, reason);
        // Sent in clear: the dialer's TLS stack reads it as a bad record and fails its handshake at once.
        this.refuse(socket, label, { ok: false, code: 'tlsOnPlain', reason }, framed);
      });
    }
    // Until the peer is known it gets a handshake-sized buffer, not frameBytesMax.
    const framed = new FramedSocket(socket, HANDSHAKE_FRAME_BYTES_MAX, logger, label);
    this.pending.add(framed);
    const timer = setTimeout(() => framed.close('handshake timed out'), handshakeTimeoutMs);
    framed.onClose = () => {
      clearTimeout(timer);
      this.pending.delete(framed);
    };
    framed.onFrame = (payload) => {
      clearTimeout(timer);
      this.pending.delete(framed);
      const hello = decodeHello(this.handshakePackr, payload);
      const reply: HelloReply =
        this.closing !== undefined
          ? { ok: false, code: 'closing', reason: `node ${this.id} is shutting down` }
          : checkHello(
              {
                id: this.id,
                clusterId: this.options.clusterId,
                isPeer: (id) => this.links.has(id),
                certifiedId,
              },
              hello,
            );
      framed.write([{ payload: encodeReply(this.handshakePackr, reply) }]);
      if (!reply.ok) {
        this.failures.count(reply.code);
        logger.warn(
          {
            ...label,
            from: hello.from,
            clusterId: hello.clusterId,
            code: reply.code,
            reason: reply.reason,
          },
          'refused a handshake',
        );
        framed.end(`refused: ${reply.code}`, REFUSAL_LINGER_MS);
        return;
      }
      framed.decoder.frameBytesMax = this.options.frameBytesMax;
      this.links.get(hello.from)!.adopt(framed);
    };
  }

  /** Sends a handshake refusal and closes, without reading anything more from the connection. */
  private refuse(
    socket: Socket,
    label: Record<string, unknown>,
    reply: Extract<HelloReply, { ok: false }>,
    framed?: FramedSocket,
  ): void {
    const out =
      framed ?? new FramedSocket(socket, HANDSHAKE_FRAME_BYTES_MAX, this.options.logger, label);
    out.refuse(
      encodeReply(this.handshakePackr, reply),
      `refused: ${reply.code}`,
      REFUSAL_LINGER_MS,
    );
  }

  /** The dialer's certificate, once the TLS handshake is done: verified, and naming a peer of this node. */
  private verifyDialer(
    socket: TLSSocket,
    tls: PeerTls,
  ):
    | { ok: true; id: NodeId | undefined }
    | { ok: false; reason: 'tls' | 'identity'; detail: string } {
    const cert = socket.getPeerCertificate();
    const shown = cert !== null && Object.keys(cert).length > 0;
    if (!shown) {
      return tls.clientCertAuth
        ? {
            ok: false,
            reason: 'tls',
            detail:
              'the dialer showed no certificate and peer client-cert-auth is on; give every member --peer-cert-file/--peer-key-file',
          }
        : { ok: true, id: undefined };
    }
    if (!socket.authorized) {
      return {
        ok: false,
        reason: 'tls',
        detail: `the dialer's certificate did not verify against the peer trusted CA (${String(socket.authorizationError)})`,
      };
    }
    const identity = certificateIdentity(tls, cert);
    if (!identity.ok) return { ok: false, reason: 'identity', detail: identity.reason };
    if (!this.links.has(identity.id))
      return {
        ok: false,
        reason: 'identity',
        detail: `the dialer's certificate names node ${identity.id}, which is not a peer of node ${this.id}`,
      };
    return { ok: true, id: identity.id };
  }

  /** A TLS handshake that failed on an accepted connection: counted and logged with what it likely means. */
  private tlsFailed(err: NodeJS.ErrnoException, label: Record<string, unknown>): void {
    const plain =
      err.code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
      err.code === 'ERR_SSL_HTTP_REQUEST' ||
      err.code === 'ERR_SSL_UNKNOWN_PROTOCOL' ||
      err.code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG';
    if (plain)
      this.failures.record(
        'plainOnTls',
        label,
        `the dialer does not speak TLS (${err.code}): a plain-TCP member reached this TLS peer port; turn peer TLS on there`,
      );
    else if (isTlsError(err))
      this.failures.record(
        'tls',
        label,
        `TLS handshake failed (${err.code}): ${err.message.trim()}`,
      );
    // A connection that merely broke mid-handshake (a dialer restarting) is not a refusal.
    else
      this.options.logger.debug(
        { ...label, reason: err.message },
        'connection lost during the TLS handshake',
      );
  }

  /** A data frame from `peer`: decode, check who it claims to be from, hand to the handler. */
  private deliver(peer: NodeId, packr: Packr, payload: Uint8Array): void {
    const messages = decodeBatch(packr, payload);
    for (const m of messages) {
      if (m.from !== peer || m.to !== this.id) {
        throw new PeerProtocolError(
          `a ${m.type} message says ${m.from} → ${m.to} on the connection ${peer} → ${this.id}; the peer is misrouting`,
        );
      }
    }
    if (this.options.faults?.isBlocked(peer, 'in') === true) {
      this.counter.drop({ peer, direction: 'in', count: messages.length, reason: 'fault' });
      return;
    }
    try {
      const unhandled = splitDeliver(messages, peer, this.handler, this.nodeHandler);
      this.counter.delivered += messages.length - unhandled;
      this.counter.drop({ peer, direction: 'in', count: unhandled, reason: 'noHandler' });
    } catch (err) {
      // The handler's bug must not be blamed on the peer (closing its connection) nor end the process.
      this.options.logger.warn(
        { node: this.id, peer, reason: (err as Error).message },
        'message handler threw; continuing',
      );
    }
  }
}
