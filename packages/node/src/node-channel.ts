// The node channel: messages between nodes beside Raft's own, over the same
// transport. A follower forwards requests to the leader (Forwarder) and the
// leader serves them with the node's request server and answers; followers
// report how far they applied; snapshot transfers move in chunks. Incoming
// messages are dispatched here; this node's own requests served while it
// became the leader are answered without the network.
import type { NodeId } from '@flotilla/raft';
import type { Clock, NodeMessage, Transport } from '@flotilla/transport';
import type { CoreView } from './core-view.js';
import type { ServeRequest } from './driver-view.js';
import { errorToData } from './errors.js';
import { Forwarder, SeenRequests } from './forwarder.js';
import type { NodeMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import { decodeWire, encodeWire, type ForwardOp, type NodeWire } from './wire.js';

export interface NodeChannelParams {
  readonly id: NodeId;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly core: CoreView;
  readonly metrics: NodeMetrics;
  readonly options: Pick<
    ResolvedOptions,
    'forwardedRequestsMax' | 'forwardTimeoutMs' | 'forwardToLeader' | 'unsafeTestFaults'
  >;
  /** Differs between restarts of this node: forwarded requests and their answers carry it. */
  readonly incarnation: number;
  /** Runs a request on this node as the leader (the node's own server). */
  readonly serveRequest: ServeRequest;
  /** The driver stopped: nothing more is received, and answers to this node itself are dropped. */
  readonly isStopped: () => boolean;
  /** The node crashed: nothing more leaves it. */
  readonly isCrashed: () => boolean;
  /** A snapshot chunk for this node's receiver. */
  readonly onSnap: (from: NodeId, body: Extract<NodeWire, { k: 'snap' }>) => void;
  /** A snapshot chunk's acknowledgement for this node's sender. */
  readonly onSnapAck: (from: NodeId, body: Extract<NodeWire, { k: 'snapAck' }>) => void;
}

export class NodeChannel {
  /** Requests this node forwarded to the leader, waiting for their answers. */
  readonly forwarder: Forwarder;
  private readonly p: NodeChannelParams;
  private readonly seenRequests: SeenRequests;

  constructor(params: NodeChannelParams) {
    this.p = params;
    const o = params.options;
    this.seenRequests = new SeenRequests(4 * o.forwardedRequestsMax);
    this.forwarder = new Forwarder(
      {
        self: params.id,
        now: () => params.clock.now(),
        // To itself when this node became the leader while the request waited.
        send: (to, inc, id, req) =>
          to === params.id
            ? this.serveForwarded(to, inc, id, req)
            : this.send(to, { k: 'req', inc, id, req }),
      },
      {
        max: o.forwardedRequestsMax,
        timeoutMs: o.forwardTimeoutMs,
        incarnation: params.incarnation,
        forwardToLeader: o.forwardToLeader,
        ignoreIncarnation: o.unsafeTestFaults.ignoreIncarnation === true,
      },
    );
  }

  send(to: NodeId, body: NodeWire): void {
    if (this.p.isCrashed()) return;
    this.p.transport.send(to, [encodeWire(this.p.id, to, body)]);
  }

  /** Node messages from `from`, as the transport delivers them (dropped once the driver stopped). */
  receive(messages: NodeMessage[], from: NodeId): void {
    if (this.p.isStopped()) return;
    for (const m of messages) {
      const body = decodeWire(m.payload);
      if (body === undefined) continue;
      switch (body.k) {
        case 'req':
          if (this.seenRequests.firstTime(from, body.inc, body.id))
            this.serveForwarded(from, body.inc, body.id, body.req);
          break;
        case 'res':
          this.forwarder.answered(from, body);
          break;
        case 'applied':
          if (this.p.core.role === 'leader')
            this.p.metrics.followerApplied(from, body.index, body.ageMs, this.p.clock.now());
          break;
        case 'snap':
          this.p.onSnap(from, body);
          break;
        case 'snapAck':
          this.p.onSnapAck(from, body);
          break;
        default: {
          const never: never = body;
          throw new Error(`unknown node message ${JSON.stringify(never)}`);
        }
      }
    }
  }

  /** Serves a request forwarded by `from` (or by this node itself, which became the leader) and answers it. */
  private serveForwarded(from: NodeId, inc: number, id: number, req: ForwardOp): void {
    const reply = (body: NodeWire & { k: 'res' }): void => {
      if (from !== this.p.id) return this.send(from, body);
      // Its own answer: applied is this node's own index, so it waits for nothing.
      if (!this.p.isStopped()) this.forwarder.answered(from, body);
    };
    this.p.serveRequest(req).then(
      (value) => reply({ k: 'res', inc, id, ok: true, value, applied: this.p.core.appliedIndex }),
      (err: unknown) => reply({ k: 'res', inc, id, ok: false, error: errorToData(err) }),
    );
  }
}
