// Raft messages over TCP: one connection per peer pair (the lower id dials),
// a handshake that checks protocol version, cluster id and node ids, and
// length-prefixed msgpackr frames. Sending never blocks or throws: messages
// are queued per peer within a bound or dropped and reported.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Packr } from 'msgpackr';
import type { NodeId } from '@flotilla/raft';
import { createPackr, decodeBatch } from '../codec.js';
import { ProtocolError, TransportOptionsError } from '../errors.js';
import { checkHello, decodeHello, encodeReply, HANDSHAKE_FRAME_BYTES_MAX, type HelloReply } from '../handshake.js';
import { splitDeliver, StatsCounter, type DropHandler, type MessageHandler, type NodeMessageHandler, type Transport, type TransportStats, type WireMessage } from '../transport.js';
import { FramedSocket } from './framed-socket.js';
import type { LinkFaults } from './link-faults.js';
import { resolveTcpOptions, type PeerAddress, type ResolvedTcpOptions, type TcpTransportOptions } from './options.js';
import { PeerLink } from './peer-link.js';

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
  private handler: MessageHandler | undefined;
  private nodeHandler: NodeMessageHandler | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: TcpTransportOptions) {
    this.options = resolveTcpOptions(options);
    this.id = this.options.id;
    this.server = createServer((socket) => this.accept(socket));
    this.bound = new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.listen.port, this.options.listen.host, () => {
        this.server.off('error', reject);
        resolve({ port: (this.server.address() as AddressInfo).port });
      });
    });
    this.bound.catch((err: Error) => this.options.logger.warn({ node: this.id, reason: err.message }, 'could not listen'));
    this.server.on('error', (err) => this.options.logger.warn({ node: this.id, reason: err.message }, 'server error'));
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
    if (peer === this.id || !Number.isInteger(peer) || peer < 1) throw new TransportOptionsError(`peer id must be a positive integer other than this node's id ${this.id}, got ${peer}`);
    const existing = this.links.get(peer);
    if (existing !== undefined) {
      existing.setAddress(address);
      return;
    }
    if (this.closing !== undefined) return;
    const link = new PeerLink({ options: this.options, counter: this.counter, deliver: (from, packr, payload) => this.deliver(from, packr, payload) }, peer, address);
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

  /** Per-peer connection state and queue size in bytes, for status pages and tests. */
  peers(): Map<NodeId, { connected: boolean; queuedMessages: number; queuedBytes: number }> {
    const out = new Map<NodeId, { connected: boolean; queuedMessages: number; queuedBytes: number }>();
    for (const [peer, link] of this.links) out.set(peer, { connected: link.connected, queuedMessages: link.queuedMessages, queuedBytes: link.queuedBytes });
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
    this.pending.clear();
    await this.bound.catch(() => undefined);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private drop(peer: NodeId, count: number, reason: 'closed' | 'unknownPeer' | 'fault' | 'queueFull'): void {
    this.counter.drop({ peer, direction: 'out', count, reason });
  }

  /** The fault hook's link delay: messages wait in a timer, within the per-peer message bound. */
  private delay(to: NodeId, messages: WireMessage[], delayMs: number): void {
    const held = this.delayedTo.get(to) ?? 0;
    if (held + messages.length > this.options.sendQueueMessagesMax) return this.drop(to, messages.length, 'queueFull');
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

  private accept(socket: Socket): void {
    const { logger, handshakeTimeoutMs, pendingHandshakesMax, noDelay } = this.options;
    const label = { node: this.id, remote: `${socket.remoteAddress}:${socket.remotePort}` };
    if (this.closing !== undefined || this.pending.size >= pendingHandshakesMax) {
      logger.warn({ ...label, pending: this.pending.size }, 'inbound connection closed unheard: transport closing or too many handshakes in progress');
      socket.destroy();
      return;
    }
    socket.setNoDelay(noDelay);
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
      const reply: HelloReply = this.closing !== undefined
        ? { ok: false, code: 'closing', reason: `node ${this.id} is shutting down` }
        : checkHello({ id: this.id, clusterId: this.options.clusterId, isPeer: (id) => this.links.has(id) }, hello);
      framed.write([{ payload: encodeReply(this.handshakePackr, reply) }]);
      if (!reply.ok) {
        logger.warn({ ...label, from: hello.from, clusterId: hello.clusterId, code: reply.code, reason: reply.reason }, 'refused a handshake');
        framed.end(`refused: ${reply.code}`, REFUSAL_LINGER_MS);
        return;
      }
      framed.decoder.frameBytesMax = this.options.frameBytesMax;
      this.links.get(hello.from)!.adopt(framed);
    };
  }

  /** A data frame from `peer`: decode, check who it claims to be from, hand to the handler. */
  private deliver(peer: NodeId, packr: Packr, payload: Uint8Array): void {
    const messages = decodeBatch(packr, payload);
    for (const m of messages) {
      if (m.from !== peer || m.to !== this.id) {
        throw new ProtocolError(`a ${m.type} message says ${m.from} → ${m.to} on the connection ${peer} → ${this.id}; the peer is misrouting`);
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
      this.options.logger.warn({ node: this.id, peer, reason: (err as Error).message }, 'message handler threw; continuing');
    }
  }
}
