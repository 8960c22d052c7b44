// @flotilla/transport: how Raft messages travel between nodes. Transport is the
// interface; MemoryNetwork (seeded faults, virtual time) and TcpTransport
// implement it. Framing, the codec, send queues and backoff are internal.

// The interface.
export type { Logger } from './logger.js';
export {
  type DropEvent,
  type DropHandler,
  type DropReason,
  type MessageHandler,
  type NodeMessage,
  type NodeMessageHandler,
  type Transport,
  type TransportStats,
  type WireMessage,
} from './transport.js';

// Time, real and virtual.
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export { VirtualClock, type VirtualClockOptions } from './virtual-clock.js';

// In memory, with a seeded fault plan.
export {
  FaultPlan,
  type Arrival,
  type DelayRange,
  type Delivery,
  type DropCause,
} from './fault-plan.js';
export {
  MemoryNetwork,
  MemoryTransport,
  type MemoryNetworkOptions,
} from './memory-network.js';

// TCP.
export { PROTOCOL_VERSION, type RefusalCode } from './handshake.js';
export {
  checkExposure,
  DEFAULT_CLUSTER_TOKEN,
  type ExposedListener,
  type ExposureCheck,
} from './tcp/exposure.js';
export { freePort } from './tcp/free-port.js';
export type { HandshakeFailureReason } from './tcp/handshake-failures.js';
export { LinkFaults, type LinkDirection } from './tcp/link-faults.js';
export type { PeerAddress, TcpTransportOptions } from './tcp/options.js';
export { TcpTransport } from './tcp/tcp-transport.js';
export {
  isTlsError,
  loadPeerTls,
  looksLikeTls,
  MEMBER_URI_PREFIX,
  peerTlsFromFlags,
  readPemFile,
  type PeerTls,
  type PeerTlsFlags,
  type PeerTlsOptions,
} from './tcp/tls.js';

// Errors.
export {
  ClockRunawayError,
  DuplicateNodeError,
  EmptyFrameError,
  FaultPlanError,
  FrameDecodeError,
  FrameTooLargeError,
  HandshakeError,
  InsecureListenError,
  PeerProtocolError,
  TransportOptionsError,
  TruncatedFrameError,
} from './errors.js';
