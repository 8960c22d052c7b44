// TcpTransport's options, their defaults, and the checks that refuse
// combinations that cannot work.
import { seededRng, type NodeId, type Rng } from '@flotilla/raft';
import { TransportOptionsError } from '../errors.js';
import { FRAME_BYTES_LIMIT } from '../framing.js';
import { silentLogger, type Logger } from '../logger.js';
import type { LinkFaults } from './link-faults.js';
import { loadPeerTls, type PeerTls, type PeerTlsOptions } from './tls.js';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface TcpTransportOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  /** Where to accept connections; port 0 picks a free port (see `listening()`). */
  readonly listen: PeerAddress;
  readonly peers?: ReadonlyMap<NodeId, PeerAddress> | Readonly<Record<number, PeerAddress>>;
  /** Largest frame payload sent or accepted. Default 16 MiB, sized for snapshot chunks. */
  readonly frameBytesMax?: number;
  /** Messages queued per peer before the oldest are dropped. Default 4096. */
  readonly sendQueueMessagesMax?: number;
  /** Encoded bytes queued per peer before the oldest are dropped; at least frameBytesMax. Default 2 × frameBytesMax. */
  readonly sendQueueBytesMax?: number;
  /** Bytes handed to a socket and not yet flushed to the kernel before frames wait in the queue. Default 1 MiB. */
  readonly socketBufferBytesMax?: number;
  /** Reconnect back-off: jittered, doubling from baseMs up to maxMs. Default { baseMs: 50, maxMs: 500 }. */
  readonly reconnect?: { readonly baseMs: number; readonly maxMs: number };
  /** Wait after a refused handshake before dialing again. Default 10,000 ms. */
  readonly refusedRetryMs?: number;
  /** Time allowed for a handshake before the connection is dropped. Default 5000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** Inbound connections allowed to be mid-handshake at once; more are closed at once. Default 64. */
  readonly pendingHandshakesMax?: number;
  /** TCP_NODELAY (Nagle off). Default true. */
  readonly noDelay?: boolean;
  readonly logger?: Logger;
  /** Test hook to block or delay links; off when absent. */
  readonly faults?: LinkFaults;
  /** Randomness for reconnect jitter. Default seeded from Math.random. */
  readonly rng?: Rng;
  /** Mutual TLS between peers (files read once, here). Off when absent: plain TCP. */
  readonly tls?: PeerTlsOptions;
}

export interface ResolvedTcpOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  readonly listen: PeerAddress;
  readonly peers: ReadonlyMap<NodeId, PeerAddress>;
  readonly frameBytesMax: number;
  readonly sendQueueMessagesMax: number;
  readonly sendQueueBytesMax: number;
  readonly socketBufferBytesMax: number;
  readonly reconnect: { readonly baseMs: number; readonly maxMs: number };
  readonly refusedRetryMs: number;
  readonly handshakeTimeoutMs: number;
  readonly pendingHandshakesMax: number;
  readonly noDelay: boolean;
  readonly logger: Logger;
  readonly faults: LinkFaults | undefined;
  readonly rng: Rng;
  readonly tls: PeerTls | undefined;
}

const MIB = 1024 * 1024;

function positiveInt(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new TransportOptionsError(`${name} must be an integer in 1..${max}, got ${value}`);
  }
  return value;
}

function toPeerMap(peers: TcpTransportOptions['peers']): Map<NodeId, PeerAddress> {
  if (peers === undefined) return new Map();
  if (peers instanceof Map) return new Map(peers);
  return new Map(Object.entries(peers).map(([id, address]) => [Number(id), address]));
}

export function resolveTcpOptions(options: TcpTransportOptions): ResolvedTcpOptions {
  positiveInt('id', options.id);
  if (options.clusterId.length === 0)
    throw new TransportOptionsError(
      'clusterId must not be empty: it is how nodes of different clusters tell each other apart',
    );
  const frameBytesMax = positiveInt(
    'frameBytesMax',
    options.frameBytesMax ?? 16 * MIB,
    FRAME_BYTES_LIMIT,
  );
  const sendQueueBytesMax = positiveInt(
    'sendQueueBytesMax',
    options.sendQueueBytesMax ?? 2 * frameBytesMax,
  );
  if (sendQueueBytesMax < frameBytesMax) {
    throw new TransportOptionsError(
      `sendQueueBytesMax (${sendQueueBytesMax}) must be at least frameBytesMax (${frameBytesMax}) or the largest frames could never be queued`,
    );
  }
  const reconnect = options.reconnect ?? { baseMs: 50, maxMs: 500 };
  if (!(reconnect.baseMs > 0 && reconnect.maxMs >= reconnect.baseMs)) {
    throw new TransportOptionsError(
      `reconnect needs 0 < baseMs <= maxMs, got ${reconnect.baseMs}..${reconnect.maxMs}`,
    );
  }
  const peers = toPeerMap(options.peers);
  if (peers.has(options.id))
    throw new TransportOptionsError(
      `node ${options.id} lists itself as a peer; remove it from peers`,
    );
  for (const id of peers.keys()) positiveInt('peer id', id);
  return {
    id: options.id,
    clusterId: options.clusterId,
    listen: options.listen,
    peers,
    frameBytesMax,
    sendQueueMessagesMax: positiveInt('sendQueueMessagesMax', options.sendQueueMessagesMax ?? 4096),
    sendQueueBytesMax,
    socketBufferBytesMax: positiveInt('socketBufferBytesMax', options.socketBufferBytesMax ?? MIB),
    reconnect,
    refusedRetryMs: positiveInt('refusedRetryMs', options.refusedRetryMs ?? 10_000),
    handshakeTimeoutMs: positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs ?? 5000),
    pendingHandshakesMax: positiveInt('pendingHandshakesMax', options.pendingHandshakesMax ?? 64),
    noDelay: options.noDelay ?? true,
    logger: options.logger ?? silentLogger,
    faults: options.faults,
    rng: options.rng ?? seededRng(Math.floor(Math.random() * 2 ** 32)),
    tls: options.tls === undefined ? undefined : loadPeerTls(options.tls),
  };
}
