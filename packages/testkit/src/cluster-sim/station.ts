// A member's end of the memory network that outlives its incarnations, the
// way TCP peers behave across a restart: frames sent to a node while it is
// down wait in the senders' queues (bounded, oldest dropped), and when it
// comes back each peer's link reconnects after its own delay and delivers
// that backlog first, then newer frames, in order. So a restarted node can
// receive answers and read confirmations meant for its previous incarnation,
// some of them after newer traffic from other peers.

import { randomInt, type NodeId, type Rng } from '@flotilla/raft';
import type {
  Clock,
  DropHandler,
  MemoryNetwork,
  MemoryTransport,
  MessageHandler,
  NodeMessage,
  NodeMessageHandler,
  Transport,
  TransportStats,
  WireMessage,
} from '@flotilla/transport';
import type { Message } from '@flotilla/raft';

export interface StationOptions {
  /** A peer's link reconnects uniformly within this many ms of a restart. */
  readonly reconnectMsMax: number;
  /** Frames queued per peer link while it is down (TCP's send queue bound); the oldest go first. */
  readonly backlogMessagesMax: number;
}

type Frame =
  | { readonly kind: 'raft'; readonly messages: Message[] }
  | { readonly kind: 'node'; readonly messages: NodeMessage[] };

interface Link {
  readonly backlog: Frame[];
  queued: number;
  /** False while the connection is down or reconnecting: frames wait in the backlog. */
  open: boolean;
}

interface Incarnation {
  onMessage: MessageHandler | undefined;
  onNodeMessage: NodeMessageHandler | undefined;
  onDrop: DropHandler | undefined;
  closed: boolean;
}

export class Station {
  readonly #inner: MemoryTransport;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #options: StationOptions;
  readonly #links = new Map<NodeId, Link>();
  #current: Incarnation | undefined;
  /** Frames that reached a restarted incarnation from its predecessor's backlog (for the run's statistics). */
  replayed = 0;

  constructor(
    network: MemoryNetwork,
    readonly id: NodeId,
    clock: Clock,
    rng: Rng,
    options: StationOptions,
  ) {
    this.#inner = network.transport(id);
    this.#clock = clock;
    this.#rng = rng;
    this.#options = options;
    this.#inner.onMessage((messages, from) => this.#arrive(from, { kind: 'raft', messages }));
    this.#inner.onNodeMessage((messages, from) => this.#arrive(from, { kind: 'node', messages }));
    this.#inner.onDrop((e) => this.#current?.onDrop?.(e));
  }

  /** The transport of a new incarnation; each peer link reconnects after a random delay and replays its backlog. */
  attach(): Transport {
    const inc: Incarnation = {
      onMessage: undefined,
      onNodeMessage: undefined,
      onDrop: undefined,
      closed: false,
    };
    this.#current = inc;
    for (const [from, link] of this.#links) {
      if (link.open) continue;
      this.#clock.setTimer(randomInt(this.#rng, 0, this.#options.reconnectMsMax), () =>
        this.#reconnect(inc, from, link),
      );
    }
    return this.#transport(inc);
  }

  #transport(inc: Incarnation): Transport {
    const inner = this.#inner;
    const detach = (): void => {
      if (inc.closed) return;
      inc.closed = true;
      if (this.#current === inc) this.#current = undefined;
      for (const link of this.#links.values()) link.open = false; // connections break with the process
    };
    return {
      id: this.id,
      send: (to: NodeId, messages: readonly WireMessage[]) => {
        if (!inc.closed) inner.send(to, messages);
      },
      onMessage: (h: MessageHandler) => (inc.onMessage = h),
      onNodeMessage: (h: NodeMessageHandler) => (inc.onNodeMessage = h),
      onDrop: (h: DropHandler) => (inc.onDrop = h),
      stats: (): TransportStats => inner.stats(),
      close: async () => detach(),
    };
  }

  #reconnect(inc: Incarnation, from: NodeId, link: Link): void {
    if (this.#current !== inc || inc.closed) return;
    const backlog = link.backlog.splice(0);
    link.queued = 0;
    link.open = true;
    this.replayed += backlog.reduce((n, f) => n + f.messages.length, 0);
    for (const frame of backlog) this.#deliver(inc, from, frame);
  }

  #arrive(from: NodeId, frame: Frame): void {
    let link = this.#links.get(from);
    if (link === undefined) {
      // A peer's first frames: its link opens now if the node is up.
      link = { backlog: [], queued: 0, open: this.#current !== undefined };
      this.#links.set(from, link);
    }
    const inc = this.#current;
    if (inc !== undefined && link.open) {
      this.#deliver(inc, from, frame);
      return;
    }
    link.backlog.push(frame);
    link.queued += frame.messages.length;
    while (link.queued > this.#options.backlogMessagesMax) {
      const head = link.backlog[0] as Frame;
      const excess = link.queued - this.#options.backlogMessagesMax;
      if (head.messages.length <= excess) {
        link.backlog.shift();
        link.queued -= head.messages.length;
      } else {
        link.backlog[0] =
          head.kind === 'raft'
            ? { kind: 'raft', messages: head.messages.slice(excess) }
            : { kind: 'node', messages: head.messages.slice(excess) };
        link.queued -= excess;
      }
    }
  }

  #deliver(inc: Incarnation, from: NodeId, frame: Frame): void {
    if (frame.kind === 'raft') inc.onMessage?.(frame.messages, from);
    else inc.onNodeMessage?.(frame.messages, from);
  }
}
