// What the memory network adds beyond the conformance suite: faults applied to
// real traffic on virtual time, determinism from a seed, the inbox bound.
import { describe, expect, it } from 'vitest';
import { seededRng, type Message, type NodeId } from '@flotilla/raft';
import {
  DuplicateNodeError,
  MemoryNetwork,
  VirtualClock,
  type DropEvent,
  type MemoryTransport,
} from '../src/index.js';
import { heartbeat } from './messages.js';

interface Net {
  clock: VirtualClock;
  network: MemoryNetwork;
  t: Map<NodeId, MemoryTransport>;
  got: Map<NodeId, { from: NodeId; term: number; at: number }[]>;
  drops: Map<NodeId, DropEvent[]>;
}

function net(seed = 1, ids: NodeId[] = [1, 2, 3], inboxMessagesMax?: number): Net {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({
    clock,
    rng: seededRng(seed),
    ...(inboxMessagesMax === undefined ? {} : { inboxMessagesMax }),
  });
  const n: Net = { clock, network, t: new Map(), got: new Map(), drops: new Map() };
  for (const id of ids) {
    const t = network.transport(id);
    const got: { from: NodeId; term: number; at: number }[] = [];
    const drops: DropEvent[] = [];
    t.onMessage((ms: Message[], from) =>
      got.push(...ms.map((m) => ({ from, term: m.term, at: clock.now() }))),
    );
    t.onDrop((e) => drops.push(e));
    n.t.set(id, t);
    n.got.set(id, got);
    n.drops.set(id, drops);
  }
  return n;
}

const send = (n: Net, from: NodeId, to: NodeId, term: number): void =>
  n.t.get(from)!.send(to, [heartbeat(from, to, term)]);
const terms = (n: Net, id: NodeId, from?: NodeId): number[] =>
  n.got
    .get(id)!
    .filter((g) => from === undefined || g.from === from)
    .map((g) => g.term);

describe('MemoryNetwork', () => {
  it('delivers asynchronously through the clock, never inside send', () => {
    const n = net();
    send(n, 1, 2, 1);
    expect(terms(n, 2)).toEqual([]);
    n.clock.advance(0);
    expect(terms(n, 2)).toEqual([1]);
  });

  it('delay with jitter keeps each link in order; messages arrive within the delay range', () => {
    const n = net();
    n.network.faults.setDelay({ minMs: 10, maxMs: 30 });
    for (let i = 1; i <= 200; i++) {
      send(n, 1, 2, i);
      if (i % 10 === 0) n.clock.advance(1);
    }
    n.clock.advance(100);
    expect(terms(n, 2)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(Math.min(...n.got.get(2)!.map((g) => g.at))).toBeGreaterThanOrEqual(10);
  });

  it('reordering delivers everything but not in order; duplication delivers some messages twice', () => {
    const n = net(5);
    n.network.faults.setReorder(0.3, 20);
    for (let i = 1; i <= 200; i++) send(n, 1, 2, i);
    n.clock.advance(50);
    const got = terms(n, 2);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(got).not.toEqual([...got].sort((a, b) => a - b));

    n.network.faults.reset();
    n.network.faults.setDuplicate(0.2);
    for (let i = 1; i <= 200; i++) send(n, 1, 3, i);
    n.clock.advance(10);
    const dup = terms(n, 3);
    expect(dup.length).toBeGreaterThan(220);
    expect(new Set(dup).size).toBe(200);
  });

  it('a partition drops traffic across it (reported as fault), including messages already in flight; healing restores it', () => {
    const n = net();
    n.network.faults.setDelay({ minMs: 10, maxMs: 10 });
    send(n, 1, 2, 1);
    n.clock.advance(5);
    n.network.faults.partition([[1], [2, 3]]);
    send(n, 1, 2, 2);
    send(n, 2, 3, 3);
    n.clock.advance(20);
    expect(terms(n, 2)).toEqual([]);
    expect(terms(n, 3)).toEqual([3]);
    expect(n.drops.get(1)).toEqual([
      { peer: 2, direction: 'out', count: 1, reason: 'fault', detail: 'partition' },
      { peer: 2, direction: 'out', count: 1, reason: 'fault', detail: 'partition' },
    ]);
    n.network.faults.heal();
    send(n, 1, 2, 4);
    n.clock.advance(20);
    expect(terms(n, 2)).toEqual([4]);
  });

  it('a one-way block stops one direction only', () => {
    const n = net();
    n.network.faults.blockLink(1, 2);
    send(n, 1, 2, 1);
    send(n, 2, 1, 2);
    n.clock.advance(1);
    expect(terms(n, 2)).toEqual([]);
    expect(terms(n, 1)).toEqual([2]);
  });

  it('a clogged node gets and sends nothing until unclogged, then all its traffic is released in order', () => {
    const n = net();
    n.network.faults.clog(2);
    for (let i = 1; i <= 5; i++) {
      send(n, 1, 2, i);
      send(n, 2, 3, 10 + i);
    }
    n.clock.advance(1000);
    expect(terms(n, 2)).toEqual([]);
    expect(terms(n, 3)).toEqual([]);
    expect(n.t.get(1)!.stats().queued.get(2)).toBe(5);
    expect(n.network.inflight()).toBe(10);
    n.network.faults.unclog(2);
    n.clock.advance(0);
    expect(terms(n, 2)).toEqual([1, 2, 3, 4, 5]);
    expect(terms(n, 3)).toEqual([11, 12, 13, 14, 15]);
    expect(n.network.inflight()).toBe(0);
  });

  it('random drops are reported with their cause, and counts add up', () => {
    const n = net(3);
    n.network.faults.setDrop(0.5);
    for (let i = 1; i <= 1000; i++) send(n, 1, 2, i);
    n.clock.advance(1);
    const s = n.t.get(1)!.stats();
    expect(s.dropped.fault + terms(n, 2).length).toBe(1000);
    expect(s.dropped.fault).toBeGreaterThan(400);
    expect(n.drops.get(1)!.every((d) => d.detail === 'random')).toBe(true);
  });

  it("bounds each node's inbox: beyond inboxMessagesMax in flight, sends are dropped as queueFull", () => {
    const n = net(1, [1, 2], 10);
    n.network.faults.setDelay({ minMs: 100, maxMs: 100 });
    for (let i = 1; i <= 25; i++) send(n, 1, 2, i);
    expect(n.network.inflight()).toBe(10);
    expect(n.t.get(1)!.stats().dropped.queueFull).toBe(15);
    n.clock.advance(100);
    expect(terms(n, 2)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('the same seed and the same inputs give the same history under every fault', () => {
    const run = (seed: number) => {
      const n = net(seed);
      const f = n.network.faults;
      f.setDelay({ minMs: 0, maxMs: 20 });
      f.setDrop(0.1);
      f.setDuplicate(0.1);
      f.setReorder(0.1);
      for (let i = 1; i <= 300; i++) {
        send(n, 1 + (i % 3), 1 + ((i + 1) % 3), i);
        if (i === 100) f.clog(3);
        if (i === 200) f.unclog(3);
        n.clock.advance(1);
      }
      n.clock.advance(100);
      return [1, 2, 3].map((id) => n.got.get(id));
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  it('refuses a second live transport for one node id with a typed error', () => {
    const n = net();
    expect(() => n.network.transport(1)).toThrow(DuplicateNodeError);
  });

  it('messages reaching a node without a handler are reported as noHandler', () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, rng: seededRng(1) });
    const a = network.transport(1);
    const b = network.transport(2);
    a.send(2, [heartbeat(1, 2, 1)]);
    clock.advance(1);
    expect(b.stats().dropped.noHandler).toBe(1);
    expect(b.stats().delivered).toBe(0);
  });
});
