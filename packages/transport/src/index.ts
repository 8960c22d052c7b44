export * from './transport.js';
export * from './logger.js';
export * from './errors.js';
export * from './clock.js';
export * from './virtual-clock.js';
export * from './fault-plan.js';
export * from './memory-network.js';
export {
  FrameDecoder,
  frameHeader,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FRAME_BYTES_LIMIT,
  type DecodeResult,
} from './framing.js';
export { createPackr, encodeBatch, decodeBatch } from './codec.js';
export {
  PROTOCOL_VERSION,
  HANDSHAKE_FRAME_BYTES_MAX,
  type Hello,
  type HelloReply,
  type RefusalCode,
} from './handshake.js';
export { SendQueue, type QueuedFrame } from './send-queue.js';
export { backoffDelayMs, type BackoffOptions } from './backoff.js';
export { TcpTransport } from './tcp/tcp-transport.js';
export { LinkFaults, type LinkDirection } from './tcp/link-faults.js';
export type { PeerAddress, TcpTransportOptions } from './tcp/options.js';
export { freePort } from './tcp/free-port.js';
export {
  loadPeerTls,
  readPemFile,
  certificateName,
  certificateIdentity,
  decimalMemberId,
  looksLikeTls,
  isTlsError,
  MEMBER_URI_PREFIX,
  peerTlsFromFlags,
  type PeerTlsOptions,
  type PeerTls,
  type PeerTlsFlags,
} from './tcp/tls.js';
export type { HandshakeFailureReason } from './tcp/handshake-failures.js';
export {
  checkExposure,
  isLoopbackHost,
  DEFAULT_CLUSTER_TOKEN,
  type ExposureCheck,
  type ExposedListener,
} from './tcp/exposure.js';
