// The parse gate: large bodies are parsed one per turn of the event loop, so
// a timer due in between (a Raft tick that sends heartbeats) runs between two
// parses instead of after all of them; small bodies never wait. The turn
// pacer: watch stream writes beyond perTurn wait for later turns of the loop.
import { describe, expect, it } from 'vitest';
import { ParseGate, TurnPacer } from '../src/http/limits.js';

describe('ParseGate', () => {
  it('lets a due timer run between two large parses, and small bodies pass at once', async () => {
    const gate = new ParseGate(1_000);
    const order: string[] = [];
    const parse = async (name: string, bytes: number): Promise<void> => {
      const gated = await gate.enter(bytes);
      order.push(name);
      if (gated) gate.leave();
    };
    const first = parse('large-1', 5_000);
    const second = parse('large-2', 5_000);
    const third = parse('large-3', 5_000);
    setTimeout(() => order.push('tick'), 0);
    await parse('small', 10);
    await Promise.all([first, second, third]);
    expect(order.indexOf('small')).toBeLessThan(order.indexOf('large-2'));
    expect(order.indexOf('tick')).toBeGreaterThan(order.indexOf('large-1'));
    expect(order.indexOf('tick')).toBeLessThan(order.indexOf('large-3'));
    expect(order.filter((x) => x.startsWith('large'))).toEqual(['large-1', 'large-2', 'large-3']);
    expect(gate.queued).toBe(0);
  });
});

describe('TurnPacer', () => {
  it('lets perTurn writes go at once and the rest on later turns, with the event loop turning in between', async () => {
    const pacer = new TurnPacer(2);
    const order: string[] = [];
    const write = async (name: string): Promise<void> => {
      const wait = pacer.turn();
      if (wait) await wait;
      order.push(name);
    };
    const writes = ['w1', 'w2', 'w3', 'w4', 'w5'].map(write);
    setImmediate(() => order.push('loop turned'));
    await Promise.all(writes);
    expect(order.slice(0, 2)).toEqual(['w1', 'w2']);
    expect(order.indexOf('loop turned')).toBeGreaterThan(order.indexOf('w2'));
    expect(order.indexOf('loop turned')).toBeLessThan(order.indexOf('w5'));
    expect(order.filter((x) => x.startsWith('w'))).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
    expect(pacer.queued).toBe(0);
  });
});
