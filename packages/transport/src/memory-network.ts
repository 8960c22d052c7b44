// Many nodes in one process, connected through a fault plan. Every delivery
// goes through the injected clock's timers and every random choice through the
// injected Rng, so with a VirtualClock a run is reproducible from its seed.
import type { NodeId, Rng } from '@flotilla/raft';
import type { Clock, TimerHandle } from './clock.js';
import { DuplicateNodeError, TransportOptionsError } from './errors.js';
import { FaultPlan } from './fault-plan.js';
import {
  splitDeliver,
  StatsCounter,
  type DropHandler,
  type MessageHandler,
  type NodeMessageHandler,
  type Transport,
  type TransportStats,
  type WireMessage,
} from './transport.js';

export interface MemoryNetworkOptions {
  readonly clock: Clock;
  readonly rng: Rng;
  /** Shared fault plan; a fresh one (no faults) by default. */
  readonly faults?: FaultPlan;
  /** Messages that may be on their way to one node (scheduled or held) before more are dropped as `queueFull`. Default 10,000. */
  readonly inboxMessagesMax?: number;
}

interface Parcel {
  readonly sender: MemoryTransport;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: WireMessage;
}

/** One link's in-order deliveries: due times never decrease, so the head is always the next due. */
interface LinkQueue {
  readonly due: { at: number; parcel: Parcel }[];
  head: number;
  lastAt: number;
  timer: TimerHandle | undefined;
}

export class MemoryNetwork {
  readonly faults: FaultPlan;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly inboxMessagesMax: number;
  private readonly live = new Map<NodeId, MemoryTransport>();
  private readonly inflightTo = new Map<NodeId, number>();
  private readonly links = new Map<string, LinkQueue>();
  private held: Parcel[] = [];

  constructor(options: MemoryNetworkOptions) {
    this.clock = options.clock;
    this.rng = options.rng;
    this.faults = options.faults ?? new FaultPlan();
    this.inboxMessagesMax = options.inboxMessagesMax ?? 10_000;
    if (!(Number.isInteger(this.inboxMessagesMax) && this.inboxMessagesMax > 0)) {
      throw new TransportOptionsError(
        `inboxMessagesMax must be a positive integer, got ${this.inboxMessagesMax}`,
      );
    }
    // A pure plan cannot call back into the network with timers, so the
    // network listens for changes and gives held (clogged) traffic another decision.
    this.faults.subscribe(() => this.releaseHeld());
  }

  /** A transport for node `id`. After the previous one for `id` is closed, this is how a node "comes back". */
  transport(id: NodeId): MemoryTransport {
    if (this.live.has(id)) throw new DuplicateNodeError(id);
    const transport = new MemoryTransport(id, this);
    this.live.set(id, transport);
    return transport;
  }

  /** Messages scheduled or held and not yet delivered or dropped, over the whole network. */
  inflight(): number {
    let n = 0;
    for (const count of this.inflightTo.values()) n += count;
    return n;
  }

  /** @internal */
  detach(transport: MemoryTransport): void {
    if (this.live.get(transport.id) === transport) this.live.delete(transport.id);
  }

  /** @internal */
  route(sender: MemoryTransport, to: NodeId, messages: readonly WireMessage[]): void {
    let full = 0;
    for (const message of messages) {
      if ((this.inflightTo.get(to) ?? 0) >= this.inboxMessagesMax) {
        full++;
        continue;
      }
      this.admit({ sender, from: sender.id, to, message });
    }
    sender.counter.drop({
      peer: to,
      direction: 'out',
      count: full,
      reason: 'queueFull',
      detail: 'inbox',
    });
  }

  private admit(parcel: Parcel): void {
    this.inflightTo.set(parcel.to, (this.inflightTo.get(parcel.to) ?? 0) + 1);
    parcel.sender.adjustQueued(parcel.to, 1);
    this.dispatch(parcel);
  }

  private settle(parcel: Parcel): void {
    this.inflightTo.set(parcel.to, (this.inflightTo.get(parcel.to) ?? 0) - 1);
    parcel.sender.adjustQueued(parcel.to, -1);
  }

  private dispatch(parcel: Parcel): void {
    const delivery = this.faults.decide(parcel.from, parcel.to, this.rng);
    switch (delivery.kind) {
      case 'drop':
        this.settle(parcel);
        parcel.sender.counter.drop({
          peer: parcel.to,
          direction: 'out',
          count: 1,
          reason: 'fault',
          detail: delivery.reason,
        });
        return;
      case 'hold':
        this.held.push(parcel);
        return;
      case 'deliver':
        delivery.delaysMs.forEach((delayMs, i) => {
          const copy = i === 0 ? parcel : { ...parcel };
          if (i > 0) {
            this.inflightTo.set(copy.to, (this.inflightTo.get(copy.to) ?? 0) + 1);
            copy.sender.adjustQueued(copy.to, 1);
          }
          if (i === 0 && delivery.inOrder) this.enqueueOrdered(copy, delayMs);
          else this.clock.setTimer(delayMs, () => this.arrive([copy]));
        });
        return;
      default: {
        const never: never = delivery;
        throw new Error(`unknown delivery ${JSON.stringify(never)}`);
      }
    }
  }

  private enqueueOrdered(parcel: Parcel, delayMs: number): void {
    const key = `${parcel.from}>${parcel.to}`;
    let link = this.links.get(key);
    if (link === undefined) {
      link = { due: [], head: 0, lastAt: -Infinity, timer: undefined };
      this.links.set(key, link);
    }
    const at = Math.max(this.clock.now() + delayMs, link.lastAt);
    link.lastAt = at;
    link.due.push({ at, parcel });
    if (link.timer === undefined) this.arm(link);
  }

  private arm(link: LinkQueue): void {
    const next = link.due[link.head]!;
    link.timer = this.clock.setTimer(next.at - this.clock.now(), () => this.fire(link));
  }

  private fire(link: LinkQueue): void {
    link.timer = undefined;
    const now = this.clock.now();
    const batch: Parcel[] = [];
    while (link.head < link.due.length && link.due[link.head]!.at <= now)
      batch.push(link.due[link.head++]!.parcel);
    if (link.head === link.due.length) {
      link.due.length = 0;
      link.head = 0;
    } else {
      this.arm(link);
    }
    this.arrive(batch);
  }

  /** Parcels of one link reaching their destination together. */
  private arrive(parcels: readonly Parcel[]): void {
    const first = parcels[0];
    if (first === undefined) return;
    const { from, to } = first;
    const arrival = this.faults.arrival(from, to);
    if (arrival === 'hold') {
      this.held.push(...parcels);
      return;
    }
    for (const parcel of parcels) this.settle(parcel);
    const dest = this.live.get(to);
    if (arrival === 'drop' || dest === undefined) {
      for (const parcel of parcels) {
        parcel.sender.counter.drop(
          arrival === 'drop'
            ? { peer: to, direction: 'out', count: 1, reason: 'fault', detail: 'partition' }
            : { peer: to, direction: 'out', count: 1, reason: 'peerDown' },
        );
      }
      return;
    }
    dest.receive(
      parcels.map((p) => p.message),
      from,
    );
  }

  private releaseHeld(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    for (const parcel of held) this.dispatch(parcel);
  }
}

/** One node's view of a MemoryNetwork. */
export class MemoryTransport implements Transport {
  /** @internal */
  readonly counter = new StatsCounter();
  private handler: MessageHandler | undefined;
  private nodeHandler: NodeMessageHandler | undefined;
  private readonly queuedTo = new Map<NodeId, number>();
  private closed = false;

  /** @internal use `MemoryNetwork.transport(id)`. */
  constructor(
    readonly id: NodeId,
    private readonly network: MemoryNetwork,
  ) {}

  send(to: NodeId, messages: readonly WireMessage[]): void {
    this.counter.sent += messages.length;
    if (this.closed) {
      this.counter.drop({ peer: to, direction: 'out', count: messages.length, reason: 'closed' });
      return;
    }
    this.network.route(this, to, messages);
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
    return this.counter.snapshot(new Map(this.queuedTo));
  }

  /** Messages already in flight from this node still arrive (they are "on the wire"); nothing reaches it any more. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.network.detach(this);
    }
    return Promise.resolve();
  }

  /** @internal */
  receive(messages: WireMessage[], from: NodeId): void {
    const unhandled = splitDeliver(messages, from, this.handler, this.nodeHandler);
    this.counter.delivered += messages.length - unhandled;
    this.counter.drop({ peer: from, direction: 'in', count: unhandled, reason: 'noHandler' });
  }

  /** @internal */
  adjustQueued(to: NodeId, delta: number): void {
    const n = (this.queuedTo.get(to) ?? 0) + delta;
    if (n === 0) this.queuedTo.delete(to);
    else this.queuedTo.set(to, n);
  }
}
