import { describe, expect, it } from 'vitest';
import { ForwardLanes, type LaneTicket } from '../src/forward-lanes.js';

describe("forward lanes (a follower's exactly-once identities)", () => {
  it('one write at a time reuses one identity with growing seqs: kv keeps one entry, not one per request', () => {
    const lanes = new ForwardLanes('f', 8);
    const seen: string[] = [];
    for (let i = 1; i <= 100; i++) {
      const t = lanes.take()!;
      seen.push(`${t.clientId}#${t.seq}`);
      lanes.give(t.lane);
    }
    expect(new Set(seen.map((s) => s.split('#')[0]))).toEqual(new Set(['f.0']));
    expect(seen[0]).toBe('f.0#2'); // seq 1 is the lane's register
    expect(seen.at(-1)).toBe('f.0#101');
  });

  it('a new or renewed lane id is registered first (seq 1) and its writes start at seq 2', () => {
    const lanes = new ForwardLanes('f', 2);
    const first = lanes.take()!;
    expect([first.clientId, first.seq, first.register]).toEqual(['f.0', 2, true]);
    lanes.give(first.lane);
    const reused = lanes.take()!;
    expect([reused.clientId, reused.seq, reused.register]).toEqual(['f.0', 3, false]);
    const renewed = lanes.renew(reused.lane);
    expect([renewed.clientId, renewed.seq, renewed.register]).toEqual(['f.0~1', 2, true]);
    lanes.give(renewed.lane);
    expect(lanes.take()!.register).toBe(false);
  });

  it("concurrent writes get distinct identities; a lane's seq only grows; no more lanes than the limit", () => {
    const lanes = new ForwardLanes('f', 3);
    const held = [lanes.take()!, lanes.take()!, lanes.take()!];
    expect(new Set(held.map((t) => t.clientId)).size).toBe(3);
    expect(lanes.take()).toBeUndefined();
    lanes.give(held[1]!.lane);
    const next = lanes.take() as LaneTicket;
    expect(next.clientId).toBe(held[1]!.clientId);
    expect(next.seq).toBe(held[1]!.seq + 1);
  });
});
