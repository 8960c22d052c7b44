// The first frame each way on a TCP connection. The dialer says who it is and
// whom it meant to reach; the acceptor accepts or refuses with a reason. Only
// after an accept does either side send messages.
import type { Packr } from 'msgpackr';
import type { NodeId } from '@flotilla/raft';
import { HandshakeError } from './errors.js';
import { unpackPayload } from './codec.js';

/** Bumped on any incompatible change to framing, handshake or message encoding. */
export const PROTOCOL_VERSION = 1;

/** Handshake frames are tiny; an unknown peer gets no bigger buffer than this until it is accepted. */
export const HANDSHAKE_FRAME_BYTES_MAX = 4096;

export interface Hello {
  readonly v: number;
  readonly clusterId: string;
  readonly from: NodeId;
  readonly to: NodeId;
}

/**
 * `identity`: with TLS, the dialer's certificate names another member than it
 * claims, or no peer. `tls`: its certificate is missing or did not verify.
 * `tlsOnPlain`: a TLS ClientHello reached a plain-TCP port (the refusal frame
 * is sent in clear, so the TLS dialer fails its handshake on it).
 */
export type RefusalCode =
  | 'version'
  | 'wrongCluster'
  | 'wrongNode'
  | 'unknownPeer'
  | 'wrongDialer'
  | 'closing'
  | 'identity'
  | 'tls'
  | 'tlsOnPlain';

export type HelloReply =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: RefusalCode; readonly reason: string };

export function encodeHello(packr: Packr, hello: Hello): Uint8Array {
  return packr.pack(hello);
}

export function decodeHello(packr: Packr, payload: Uint8Array): Hello {
  const v = unpackPayload(packr, payload) as Partial<Record<keyof Hello, unknown>> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.v !== 'number' ||
    typeof v.clusterId !== 'string' ||
    typeof v.from !== 'number' ||
    typeof v.to !== 'number'
  ) {
    throw new HandshakeError(
      'first frame is not a handshake {v, clusterId, from, to}; the peer does not speak this protocol',
    );
  }
  return { v: v.v, clusterId: v.clusterId, from: v.from, to: v.to };
}

export function encodeReply(packr: Packr, reply: HelloReply): Uint8Array {
  return packr.pack(reply);
}

export function decodeReply(packr: Packr, payload: Uint8Array): HelloReply {
  const v = unpackPayload(packr, payload) as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null || typeof v['ok'] !== 'boolean') {
    throw new HandshakeError(
      'handshake reply is not {ok, ...}; the peer does not speak this protocol',
    );
  }
  if (v['ok']) return { ok: true };
  return { ok: false, code: String(v['code']) as RefusalCode, reason: String(v['reason']) };
}

export interface AcceptorView {
  readonly id: NodeId;
  readonly clusterId: string;
  isPeer(id: NodeId): boolean;
  /** With peer TLS: the node id the dialer's verified certificate names (undefined: no certificate, taken on its word). */
  readonly certifiedId?: NodeId | undefined;
}

/**
 * Whether an acceptor takes this dialer. Connection ownership: the lower id
 * dials, so an inbound hello from a higher id is a misconfiguration.
 */
export function checkHello(self: AcceptorView, hello: Hello): HelloReply {
  if (hello.v !== PROTOCOL_VERSION) {
    return {
      ok: false,
      code: 'version',
      reason: `protocol version ${hello.v} is not ${PROTOCOL_VERSION}; run the same Flotilla version on every node`,
    };
  }
  if (hello.clusterId !== self.clusterId) {
    return {
      ok: false,
      code: 'wrongCluster',
      reason: `cluster '${hello.clusterId}' is not this node's cluster '${self.clusterId}'; check the peer addresses`,
    };
  }
  if (hello.to !== self.id) {
    return {
      ok: false,
      code: 'wrongNode',
      reason: `this address is node ${self.id}, not node ${hello.to}; check the peer addresses`,
    };
  }
  if (self.certifiedId !== undefined && hello.from !== self.certifiedId) {
    return {
      ok: false,
      code: 'identity',
      reason: `the dialer's certificate names node ${self.certifiedId}, but it claims to be node ${hello.from}; a member may only act as the member its certificate names`,
    };
  }
  if (!self.isPeer(hello.from)) {
    return {
      ok: false,
      code: 'unknownPeer',
      reason: `node ${hello.from} is not a peer of node ${self.id}; add it as a peer first`,
    };
  }
  if (hello.from > self.id) {
    return {
      ok: false,
      code: 'wrongDialer',
      reason: `node ${hello.from} should not dial node ${self.id}: the lower id dials`,
    };
  }
  return { ok: true };
}
