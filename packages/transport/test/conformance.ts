// The behaviour every Transport promises, run against each implementation
// through a small harness (memory: virtual time; TCP: real sockets, bounded polls).
import { describe, expect, it } from 'vitest';
import type { Message, NodeId } from '@flotilla/raft';
import type { DropEvent, NodeMessage, Transport } from '../src/index.js';
import { append, everyKind, heartbeat } from './messages.js';

export interface Received {
  readonly from: NodeId;
  readonly message: Message;
}

export interface Harness {
  readonly ids: readonly NodeId[];
  /** The current transport of `id`. */
  transport(id: NodeId): Transport;
  /** Everything the given transport object's handler got. */
  received(transport: Transport): Received[];
  drops(transport: Transport): DropEvent[];
  /** Closes node `id`'s transport (a crash, as far as the network can tell) and waits until its peers notice. */
  crash(id: NodeId): Promise<void>;
  /** A new transport for `id`, reachable at the same place. */
  restart(id: NodeId): Promise<void>;
  /** Lets time pass until `pred` holds; fails with `what` if it does not within the harness's bound. */
  until(pred: () => boolean, what: string): Promise<void>;
  shutdown(): Promise<void>;
}

const terms = (list: readonly Received[], from: NodeId): number[] =>
  list.filter((r) => r.from === from).map((r) => r.message.term);
const droppedTotal = (t: Transport): number =>
  Object.values(t.stats().dropped).reduce((a, b) => a + b, 0);

export function transportConformance(name: string, makeHarness: () => Promise<Harness>): void {
  const withHarness = (fn: (h: Harness) => Promise<void>) => async () => {
    const h = await makeHarness();
    try {
      await fn(h);
    } finally {
      await h.shutdown();
    }
  };

  describe(`${name} transport conformance`, () => {
    it(
      'delivers every kind of message intact to the named peer only, with the sender id',
      withHarness(async (h) => {
        const [a, b, c] = h.ids as [NodeId, NodeId, NodeId];
        const sent = everyKind(a, b);
        h.transport(a).send(b, sent);
        h.transport(a).send(c, [heartbeat(a, c, 1, 'marker')]);
        const tb = h.transport(b);
        const tc = h.transport(c);
        await h.until(
          () => h.received(tb).length === sent.length && h.received(tc).length === 1,
          'b gets the batch and c its marker',
        );
        expect(h.received(tb).map((r) => r.from)).toEqual(sent.map(() => a));
        expect(h.received(tb).map((r) => r.message)).toEqual(sent);
        const data = (h.received(tb)[4]!.message as Extract<Message, { type: 'append' }>)
          .entries[0];
        expect(data?.type === 'normal' && data.data instanceof Uint8Array).toBe(true);
        expect(h.received(tc).map((r) => r.message)).toEqual([heartbeat(a, c, 1, 'marker')]);
        expect(tb.stats().delivered).toBe(sent.length);
        expect(h.transport(a).stats().sent).toBe(sent.length + 1);
      }),
    );

    it(
      'keeps each link in FIFO order, across sends and within a batch',
      withHarness(async (h) => {
        const [a, b, c] = h.ids as [NodeId, NodeId, NodeId];
        let term = 0;
        for (let i = 0; i < 100; i++) {
          const batch = Array.from({ length: 1 + (i % 4) }, () => append(a, b, ++term));
          h.transport(a).send(b, batch);
          h.transport(c).send(b, [heartbeat(c, b, i + 1)]);
        }
        const tb = h.transport(b);
        await h.until(() => h.received(tb).length === term + 100, 'b gets everything from a and c');
        expect(terms(h.received(tb), a)).toEqual(Array.from({ length: term }, (_, i) => i + 1));
        expect(terms(h.received(tb), c)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      }),
    );

    it(
      'carries node messages on the same link to the node handler, in order with Raft messages',
      withHarness(async (h) => {
        const [a, b] = h.ids as [NodeId, NodeId];
        const tb = h.transport(b);
        // Each node message notes how many Raft messages had arrived before it.
        const seen: { payload: number[]; raftBefore: number; from: NodeId }[] = [];
        tb.onNodeMessage((messages, from) => {
          for (const m of messages)
            seen.push({ payload: [...m.payload], raftBefore: h.received(tb).length, from });
        });
        const node = (i: number): NodeMessage => ({
          type: 'node',
          from: a,
          to: b,
          term: 0,
          payload: new Uint8Array([i, 255 - i]),
        });
        for (let i = 0; i < 10; i++)
          h.transport(a).send(b, [heartbeat(a, b, i + 1), node(i), node(100 + i)]);
        await h.until(
          () => seen.length === 20 && h.received(tb).length === 10,
          'b gets 10 heartbeats and 20 node messages',
        );
        expect(seen.map((s) => s.payload[0])).toEqual(
          Array.from({ length: 10 }, (_, i) => [i, 100 + i]).flat(),
        );
        expect(seen.map((s) => s.payload[1])).toEqual(seen.map((s) => 255 - s.payload[0]!));
        expect(seen.map((s) => s.raftBefore)).toEqual(
          Array.from({ length: 10 }, (_, i) => [i + 1, i + 1]).flat(),
        );
        expect(seen.every((s) => s.from === a)).toBe(true);
        expect(tb.stats().delivered).toBe(30);
      }),
    );

    it(
      'a send to a down peer neither throws nor blocks; the peer gets messages again once it is back',
      withHarness(async (h) => {
        const [a, b] = h.ids as [NodeId, NodeId];
        const oldB = h.transport(b);
        await h.crash(b);
        const ta = h.transport(a);
        for (let i = 1; i <= 20; i++) expect(() => ta.send(b, [heartbeat(a, b, i)])).not.toThrow();
        await h.restart(b);
        const newB = h.transport(b);
        let term = 100;
        await h.until(() => {
          if (h.received(newB).some((r) => r.message.term >= 100)) return true;
          ta.send(b, [heartbeat(a, b, ++term)]);
          return false;
        }, 'the restarted peer receives');
        // Every message is accounted for: delivered (to either incarnation), dropped and reported, or still queued.
        await h.until(() => {
          const s = ta.stats();
          const delivered = h.received(oldB).length + h.received(newB).length;
          return s.sent === delivered + droppedTotal(ta) + (s.queued.get(b) ?? 0);
        }, 'sent = delivered + dropped + queued');
        expect(h.received(oldB)).toEqual([]);
        const dropEvents = h.drops(ta).reduce((n, e) => n + e.count, 0);
        expect(dropEvents).toBe(droppedTotal(ta));
      }),
    );

    it(
      'close: sends afterwards are reported as dropped (closed), a closed node receives nothing, close is idempotent',
      withHarness(async (h) => {
        const [a, b] = h.ids as [NodeId, NodeId];
        const ta = h.transport(a);
        const tb = h.transport(b);
        await h.crash(b);
        await tb.close();
        expect(() => tb.send(a, [heartbeat(b, a, 1)])).not.toThrow();
        expect(tb.stats().dropped.closed).toBe(1);
        expect(h.drops(tb)).toEqual([{ peer: a, direction: 'out', count: 1, reason: 'closed' }]);
        ta.send(b, [heartbeat(a, b, 2)]);
        await h.until(
          () => droppedTotal(ta) + (ta.stats().queued.get(b) ?? 0) === 1,
          'the message to the closed node is queued or reported dropped',
        );
        expect(h.received(tb)).toEqual([]);
      }),
    );

    it(
      'a message to a node that does not exist is reported dropped, not thrown',
      withHarness(async (h) => {
        const [a] = h.ids as [NodeId];
        const ta = h.transport(a);
        expect(() => ta.send(99, [heartbeat(a, 99, 1)])).not.toThrow();
        await h.until(() => droppedTotal(ta) === 1, 'the drop is reported');
        expect(h.drops(ta)[0]).toMatchObject({ peer: 99, direction: 'out', count: 1 });
      }),
    );
  });
}
