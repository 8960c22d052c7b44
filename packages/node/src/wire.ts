// What node drivers say to each other outside Raft, carried as the payload of
// a transport NodeMessage: forwarded requests and their answers, applied-index
// reports (state latency), and InstallSnapshot chunks with their acks.
import { Packr } from 'msgpackr';
import type { ConfChange, NodeId, SnapshotMeta } from '@flotilla/raft';
import type { NodeMessage } from '@flotilla/transport';
import type { WireError } from './errors.js';

/** A request a follower forwards to the leader. */
export type ForwardOp =
  /** `register`: a forward lane's new id registered (kv's `register`), proposed just before `data` (see forwarder.ts). */
  | { readonly op: 'propose'; readonly data: Uint8Array; readonly register?: Uint8Array }
  | { readonly op: 'confChange'; readonly change: ConfChange }
  | { readonly op: 'transfer'; readonly to: NodeId }
  | { readonly op: 'leaseKeepAlive'; readonly id: number }
  | { readonly op: 'leaseTimeToLive'; readonly id: number; readonly keys: boolean };

export type NodeWire =
  /** `inc`: the sender's incarnation (a random number drawn at every start); `id` counts from 1 in each. */
  | { readonly k: 'req'; readonly inc: number; readonly id: number; readonly req: ForwardOp }
  /** The answer echoes the request's incarnation: a restarted sender must not take an answer meant for its previous life. */
  | {
      readonly k: 'res';
      readonly inc: number;
      readonly id: number;
      readonly ok: true;
      readonly value: unknown;
      /** The answering leader's applied index: the sender answers once it applied as far (AppliedWaits). */
      readonly applied?: number;
    }
  | {
      readonly k: 'res';
      readonly inc: number;
      readonly id: number;
      readonly ok: false;
      readonly error: WireError;
    }
  /** A follower applied `index`, `ageMs` ago by its own clock. */
  | { readonly k: 'applied'; readonly index: number; readonly ageMs: number }
  | {
      readonly k: 'snap';
      readonly xfer: number;
      readonly seq: number;
      /** The Raft term of the snapshot message this transfer carries. */
      readonly term: number;
      readonly meta: SnapshotMeta;
      readonly data: Uint8Array;
      /** On the last chunk: the SHA-256 of the whole snapshot. */
      readonly digest?: Uint8Array;
    }
  | {
      readonly k: 'snapAck';
      readonly xfer: number;
      readonly seq: number;
      readonly ok: boolean;
      readonly done: boolean;
      readonly reason?: string;
    };

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function encodeWire(from: NodeId, to: NodeId, body: NodeWire): NodeMessage {
  // A copy: msgpackr hands out views of a buffer it reuses, and a memory network delivers later.
  return { type: 'node', from, to, term: 0, payload: new Uint8Array(packr.pack(body)) };
}

/** Decodes a payload; undefined for anything malformed (a foreign or buggy peer), which the caller ignores. */
export function decodeWire(payload: Uint8Array): NodeWire | undefined {
  let value: unknown;
  try {
    value = plain(packr.unpack(payload));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const k = (value as { k?: unknown }).k;
  return k === 'req' || k === 'res' || k === 'applied' || k === 'snap' || k === 'snapAck'
    ? (value as NodeWire)
    : undefined;
}

/** Decoded msgpack holds Buffers; hand out plain Uint8Arrays like the in-process API does. */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array)
    return Buffer.isBuffer(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v;
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, x] of Object.entries(v)) out[key] = plain(x);
    return out;
  }
  return v;
}
