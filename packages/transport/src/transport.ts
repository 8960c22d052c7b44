// The one interface every transport implements, and the bookkeeping that keeps
// drops observable. Raft tolerates message loss, so a transport never throws
// or blocks on a send: it delivers, queues within a bound, or drops and says so.
import type { Message, NodeId } from '@flotilla/raft';

/** Called with one batch of messages from one peer, in that link's order. */
export type MessageHandler = (messages: Message[], from: NodeId) => void;

/**
 * A message between node drivers that is not a Raft message: forwarded client
 * requests, snapshot chunks, apply reports. The transport carries `payload`
 * opaquely, on the same link (and in the same per-link order) as Raft messages,
 * and delivers it to the `onNodeMessage` handler instead of `onMessage`.
 */
export interface NodeMessage {
  readonly type: 'node';
  readonly from: NodeId;
  readonly to: NodeId;
  /** Always 0: node messages move no Raft terms. */
  readonly term: number;
  readonly payload: Uint8Array;
}

/** Anything a transport carries. */
export type WireMessage = Message | NodeMessage;

export type NodeMessageHandler = (messages: NodeMessage[], from: NodeId) => void;

export function isNodeMessage(m: WireMessage): m is NodeMessage {
  return m.type === 'node';
}

/**
 * Hands an incoming batch to the two handlers, Raft messages to one and node
 * messages to the other, in runs, so order within the link is kept across both.
 * Returns how many messages had no handler (dropped as `noHandler` by the caller).
 */
export function splitDeliver(
  messages: readonly WireMessage[],
  from: NodeId,
  raft: MessageHandler | undefined,
  node: NodeMessageHandler | undefined,
): number {
  let unhandled = 0;
  let i = 0;
  while (i < messages.length) {
    const nodeRun = isNodeMessage(messages[i]!);
    let j = i;
    while (j < messages.length && isNodeMessage(messages[j]!) === nodeRun) j++;
    const run = messages.slice(i, j);
    if (nodeRun) {
      if (node === undefined) unhandled += run.length;
      else node(run as NodeMessage[], from);
    } else if (raft === undefined) {
      unhandled += run.length;
    } else {
      raft(run as Message[], from);
    }
    i = j;
  }
  return unhandled;
}

/**
 * Why messages were dropped.
 * - `queueFull`: a bounded queue (send queue, inbox) was full; the oldest went first on TCP.
 * - `peerDown`: the peer was not reachable (no live node, or the connection broke with the frame unsent).
 * - `tooLarge`: one message encodes to more than the maximum frame size.
 * - `fault`: an injected fault (partition, random drop, blocked link).
 * - `unknownPeer`: the destination is not a configured peer.
 * - `closed`: this transport was closed (sends after close, queue discarded at close).
 * - `noHandler`: messages arrived before `onMessage` registered a handler.
 */
export type DropReason =
  | 'queueFull'
  | 'peerDown'
  | 'tooLarge'
  | 'fault'
  | 'unknownPeer'
  | 'closed'
  | 'noHandler';

export const DROP_REASONS: readonly DropReason[] = [
  'queueFull',
  'peerDown',
  'tooLarge',
  'fault',
  'unknownPeer',
  'closed',
  'noHandler',
];

/** "Dropped `count` messages to/from `peer` because `reason`." */
export interface DropEvent {
  readonly peer: NodeId;
  /** `out`: messages this node sent; `in`: messages that reached this node. */
  readonly direction: 'out' | 'in';
  readonly count: number;
  readonly reason: DropReason;
  /** A finer cause when there is one (e.g. the fault plan's `partition` or `random`). */
  readonly detail?: string;
}

export type DropHandler = (event: DropEvent) => void;

export interface TransportStats {
  /** Messages passed to `send`. */
  readonly sent: number;
  /** Messages handed to this node's handler. */
  readonly delivered: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** Messages accepted for each peer but not yet delivered (memory) or written (TCP). */
  readonly queued: ReadonlyMap<NodeId, number>;
}

export interface Transport {
  readonly id: NodeId;
  /**
   * Hands `messages` to the transport for `to`. Never blocks, never throws
   * for a down or unknown peer: the messages are queued (within a bound) or
   * dropped and reported through `onDrop` and `stats()`.
   * Order is kept per link; batch boundaries may not be (a receiver may get
   * several sends merged or one send split).
   */
  send(to: NodeId, messages: readonly WireMessage[]): void;
  /** Sets the one handler for incoming Raft messages (a later call replaces it). */
  onMessage(handler: MessageHandler): void;
  /** Sets the one handler for incoming node messages (a later call replaces it). */
  onNodeMessage(handler: NodeMessageHandler): void;
  /** Sets the one listener for drops (a later call replaces it). */
  onDrop(handler: DropHandler): void;
  stats(): TransportStats;
  /** Stops sending and receiving; queued messages are dropped as `closed`. Idempotent. */
  close(): Promise<void>;
}

/** Counters shared by both transports, so they report drops the same way. */
export class StatsCounter {
  sent = 0;
  delivered = 0;
  private readonly dropped: Record<DropReason, number> = {
    queueFull: 0,
    peerDown: 0,
    tooLarge: 0,
    fault: 0,
    unknownPeer: 0,
    closed: 0,
    noHandler: 0,
  };
  private dropHandler: DropHandler | undefined;

  onDrop(handler: DropHandler): void {
    this.dropHandler = handler;
  }

  drop(event: DropEvent): void {
    if (event.count <= 0) return;
    this.dropped[event.reason] += event.count;
    this.dropHandler?.(event);
  }

  snapshot(queued: ReadonlyMap<NodeId, number>): TransportStats {
    return { sent: this.sent, delivered: this.delivered, dropped: { ...this.dropped }, queued };
  }
}
