// Per-request context shared by the handlers: the decoded body, the
// exactly-once identity from the headers, and the header builder.
import type { IncomingHttpHeaders } from 'node:http';
import { encodeHeader, type Json } from '../codec/encode-kv.js';
import { GatewayError } from '../codec/gateway-error.js';
import type { JsonObject } from '../codec/json-reader.js';
import type { ServedNode, WriteContext } from './served-node.js';
import type { Caller } from '../auth/gate.js';

export const CLIENT_ID_HEADER = 'x-flotilla-client-id';
export const SEQ_HEADER = 'x-flotilla-seq';
/** `lease` asks for a lease read (a Flotilla extension; etcd's wire has only the body's `serializable`). */
export const READ_CONSISTENCY_HEADER = 'x-flotilla-read-consistency';
/** Same bound as the state machine's exactly-once table (kv's clientIdBytesMax). */
export const CLIENT_ID_BYTES_MAX = 256;

export interface HandlerContext {
  readonly node: ServedNode;
  readonly body: JsonObject;
  readonly write: WriteContext;
  /** From `x-flotilla-read-consistency`: whether a range asked for a lease read. */
  readonly leaseRead: boolean;
  /** Who is calling (from the Authorization header); `write.auth` carries it to apply. */
  readonly caller: Caller;
  /** The caller as this member's auth state sees it now (after a read barrier, it may have changed: auth enabled, user deleted). */
  callerNow(): Caller;
  /** The raw Authorization header, passed on where the request fans out to other members. */
  readonly authorization?: string;
  /** Wall-clock milliseconds (token expiry). */
  now(): number;
  /** Lifetime of the tokens /v3/auth/authenticate issues. */
  readonly tokenTtlMs: number;
  /** etcd's response header; `revision` omitted for cluster calls, as etcd does. */
  header(revision?: number): Json;
}

export function makeHeader(node: ServedNode, revision: number | undefined): Json {
  const s = node.status();
  return encodeHeader({
    clusterId: s.clusterId,
    memberId: String(s.memberId),
    revision: revision ?? 0,
    raftTerm: s.term,
  });
}

/** Reads `x-flotilla-client-id` and `x-flotilla-seq`: both or neither. */
export function readWriteContext(headers: IncomingHttpHeaders): WriteContext {
  const clientId = headers[CLIENT_ID_HEADER];
  const seqText = headers[SEQ_HEADER];
  if (clientId === undefined && seqText === undefined) return {};
  if (typeof clientId !== 'string' || typeof seqText !== 'string') {
    throw GatewayError.invalidArgument(
      `send both ${CLIENT_ID_HEADER} and ${SEQ_HEADER} (once each) for an exactly-once write, or neither`,
    );
  }
  if (clientId.length === 0 || Buffer.byteLength(clientId) > CLIENT_ID_BYTES_MAX) {
    throw GatewayError.invalidArgument(
      `${CLIENT_ID_HEADER} must be 1 to ${CLIENT_ID_BYTES_MAX} bytes`,
    );
  }
  const seq = Number(seqText);
  if (!/^\d+$/.test(seqText) || !Number.isSafeInteger(seq) || seq < 1) {
    throw GatewayError.invalidArgument(
      `${SEQ_HEADER} must be a positive integer, got ${JSON.stringify(seqText)}`,
    );
  }
  return { clientId, seq };
}

/** Reads `x-flotilla-read-consistency`: absent, or `lease`. */
export function readLeaseRead(headers: IncomingHttpHeaders): boolean {
  const value = headers[READ_CONSISTENCY_HEADER];
  if (value === undefined) return false;
  if (value !== 'lease') {
    throw GatewayError.invalidArgument(
      `${READ_CONSISTENCY_HEADER} must be "lease" (once), got ${JSON.stringify(value)}; a serializable read sets the body's "serializable": true`,
    );
  }
  return true;
}
