import { seededRng, type NodeId } from '@flotilla/raft';
import { MemoryNetwork, VirtualClock, type DropEvent, type Transport } from '../src/index.js';
import { transportConformance, type Harness, type Received } from './conformance.js';

async function memoryHarness(): Promise<Harness> {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, rng: seededRng(42) });
  // A little delay with jitter, so the ordering promises are tested under it.
  network.faults.setDelay({ minMs: 1, maxMs: 5 });
  const ids: NodeId[] = [1, 2, 3];
  const current = new Map<NodeId, Transport>();
  const received = new Map<Transport, Received[]>();
  const drops = new Map<Transport, DropEvent[]>();
  const start = (id: NodeId): void => {
    const t = network.transport(id);
    const got: Received[] = [];
    const dropped: DropEvent[] = [];
    t.onMessage((messages, from) => got.push(...messages.map((message) => ({ from, message }))));
    t.onDrop((e) => dropped.push(e));
    received.set(t, got);
    drops.set(t, dropped);
    current.set(id, t);
  };
  ids.forEach(start);
  return {
    ids,
    transport: (id) => current.get(id)!,
    received: (t) => received.get(t)!,
    drops: (t) => drops.get(t)!,
    crash: (id) => current.get(id)!.close(),
    restart: async (id) => start(id),
    until: async (pred, what) => {
      for (let step = 0; step < 10_000; step++) {
        if (pred()) return;
        clock.advance(1);
      }
      throw new Error(`not reached within 10,000 virtual ms: ${what}`);
    },
    shutdown: async () => {
      for (const t of current.values()) await t.close();
    },
  };
}

transportConformance('memory', memoryHarness);
