// The messages between a WorkerNode (host thread) and its worker. Each side
// queues messages and posts them as one array per flush (one structured clone
// and one wake-up for a burst of calls or answers); payloads are the node's
// own request and response objects, whose Uint8Array keys and values clone as
// bytes, never as JSON. Order on the port is the order sent, which the
// mirrors rely on: state pushed before an answer is seen before it.
import type {
  AuthRole,
  AuthUser,
  LeaseStatus,
  MemberRecord,
  WatchRequest,
  WatchResponse,
} from '@flotilla/kv';
import type { PeerAddress } from '@flotilla/transport';
import type { WireError } from '../errors.js';
import type { NodeEventName, NodeEvents } from '../events.js';
import type { NodeStatus } from '../types.js';

/** Calls answered by a `res` with the same id. */
export type CallMethod =
  | 'ready'
  | 'put'
  | 'deleteRange'
  | 'txn'
  | 'compact'
  | 'range'
  | 'leaseGrant'
  | 'leaseRevoke'
  | 'leaseKeepAlive'
  | 'leaseTimeToLive'
  | 'register'
  | 'authChange'
  | 'addLearner'
  | 'addMember'
  | 'updateMember'
  | 'hashKv'
  | 'promote'
  | 'removeMember'
  | 'confChange'
  | 'transferLeadership'
  | 'snapshot'
  | 'kvSnapshot'
  | 'kvSnapshotNext'
  | 'kvSnapshotClose'
  | 'close'
  | 'crash';

export type ToWorker =
  | {
      readonly t: 'call';
      readonly id: number;
      readonly method: CallMethod;
      readonly args: unknown[];
    }
  | { readonly t: 'addPeer'; readonly id: number; readonly address: PeerAddress }
  | { readonly t: 'listen'; readonly name: 'applied'; readonly on: boolean }
  | { readonly t: 'watch'; readonly wid: number; readonly request: WatchRequest }
  | { readonly t: 'watchAck'; readonly wid: number; readonly weight: number }
  | { readonly t: 'watchCancel'; readonly wid: number };

/** The replicated auth state as plain data (see AuthMirror). */
export interface AuthData {
  readonly enabled: boolean;
  readonly revision: number;
  readonly signingKey: Uint8Array;
  readonly users: readonly AuthUser[];
  readonly roles: readonly AuthRole[];
}

export type FromWorker =
  | { readonly t: 'res'; readonly id: number; readonly value: unknown }
  | { readonly t: 'err'; readonly id: number; readonly error: WireError }
  | { readonly t: 'state'; readonly status: NodeStatus }
  | { readonly t: 'leases'; readonly leases: LeaseStatus[] }
  | { readonly t: 'auth'; readonly auth: AuthData }
  /** The replicated member table, whenever it changed (see MemberMirror). */
  | { readonly t: 'members'; readonly members: MemberRecord[] }
  | {
      readonly t: 'event';
      readonly name: NodeEventName;
      readonly event: NodeEvents[NodeEventName];
    }
  | {
      readonly t: 'watchRes';
      readonly wid: number;
      readonly response: WatchResponse;
      /** The worker's watcher was replaying history when it sent this (readers pace a replay, see Watcher.state). */
      readonly catchingUp: boolean;
    }
  | { readonly t: 'watchEnd'; readonly wid: number }
  | {
      readonly t: 'log';
      readonly level: 'warn' | 'info' | 'debug';
      readonly obj: object;
      readonly msg: string;
    };

/** The worker's first message: the node is open (or failed to open). */
export type Hello =
  | {
      readonly t: 'open';
      readonly id: number;
      readonly clusterId: string;
      readonly listenAddress: PeerAddress | undefined;
      readonly status: NodeStatus;
      readonly leases: LeaseStatus[];
      readonly auth: AuthData;
      readonly members: MemberRecord[];
      /** The worker's per-watch window (kv's watchBufferEventsMax). */
      readonly watchBufferEventsMax: number;
    }
  | { readonly t: 'openFailed'; readonly error: WireError };

/** A watch response's weight, as kv's Watcher counts it against its buffer. */
export function watchWeight(r: WatchResponse): number {
  return Math.max(1, r.events.length);
}
