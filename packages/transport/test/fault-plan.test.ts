import { describe, expect, it } from 'vitest';
import { seededRng, type Rng } from '@flotilla/raft';
import { FaultPlan, FaultPlanError, type Delivery } from '../src/index.js';

const decideMany = (plan: FaultPlan, rng: Rng, n: number, from = 1, to = 2): Delivery[] =>
  Array.from({ length: n }, () => plan.decide(from, to, rng));

describe('FaultPlan', () => {
  it('with no faults delivers everything at once, in order, without drawing randomness', () => {
    const plan = new FaultPlan();
    const rng = {
      next: () => {
        throw new Error('drew randomness');
      },
    };
    expect(plan.decide(1, 2, rng)).toEqual({ kind: 'deliver', delaysMs: [0], inOrder: true });
  });

  it('a partition cuts links between groups both ways, keeps links within a group, and leaves unnamed nodes connected', () => {
    const plan = new FaultPlan();
    plan.partition([[1, 2], [3], [4, 5]]);
    const rng = seededRng(1);
    expect(plan.decide(1, 2, rng).kind).toBe('deliver');
    expect(plan.decide(4, 5, rng).kind).toBe('deliver');
    for (const [a, b] of [
      [1, 3],
      [3, 1],
      [2, 4],
      [5, 3],
    ] as const)
      expect(plan.decide(a, b, rng)).toEqual({ kind: 'drop', reason: 'partition' });
    expect(plan.decide(6, 1, rng).kind).toBe('deliver');
    expect(plan.decide(3, 6, rng).kind).toBe('deliver');
    plan.partition([[1], [2, 3, 4, 5]]);
    expect(plan.decide(4, 5, rng).kind).toBe('deliver');
    expect(plan.decide(2, 1, rng).kind).toBe('drop');
    plan.heal();
    expect(plan.decide(2, 1, rng).kind).toBe('deliver');
  });

  it('a blocked link is one-way; isolate cuts a node off both ways; heal restores both', () => {
    const plan = new FaultPlan();
    plan.blockLink(1, 2);
    expect(plan.isBlocked(1, 2)).toBe(true);
    expect(plan.isBlocked(2, 1)).toBe(false);
    plan.unblockLink(1, 2);
    expect(plan.isBlocked(1, 2)).toBe(false);
    plan.isolate(3);
    expect(plan.isBlocked(3, 1) && plan.isBlocked(2, 3)).toBe(true);
    expect(plan.isBlocked(3, 3)).toBe(false);
    plan.blockLink(1, 2);
    plan.heal();
    expect(plan.isBlocked(3, 1) || plan.isBlocked(1, 2)).toBe(false);
  });

  it('drops each message on a link with about the configured probability; a link setting overrides the global one', () => {
    const plan = new FaultPlan();
    plan.setDrop(0.3);
    plan.setLinkDrop(2, 1, 0);
    const rng = seededRng(7);
    const dropped = decideMany(plan, rng, 10_000).filter((d) => d.kind === 'drop').length;
    expect(dropped).toBeGreaterThan(2700);
    expect(dropped).toBeLessThan(3300);
    expect(decideMany(plan, rng, 1000, 2, 1).every((d) => d.kind === 'deliver')).toBe(true);
    expect(decideMany(plan, rng, 100).some((d) => d.kind === 'drop' && d.reason === 'random')).toBe(
      true,
    );
  });

  it('delays are whole ms within the range (global or per link), and cover it', () => {
    const plan = new FaultPlan();
    plan.setDelay({ minMs: 5, maxMs: 9 });
    plan.setLinkDelay(1, 3, { minMs: 100, maxMs: 100 });
    const rng = seededRng(3);
    const delays = decideMany(plan, rng, 2000).flatMap((d) =>
      d.kind === 'deliver' ? d.delaysMs : [],
    );
    expect(new Set(delays)).toEqual(new Set([5, 6, 7, 8, 9]));
    expect(plan.decide(1, 3, rng)).toEqual({ kind: 'deliver', delaysMs: [100], inOrder: true });
  });

  it('duplicates give several delays; reordering takes a message out of link order with extra delay', () => {
    const plan = new FaultPlan();
    plan.setDuplicate(1);
    expect(plan.decide(1, 2, seededRng(1))).toEqual({
      kind: 'deliver',
      delaysMs: [0, 0],
      inOrder: true,
    });
    plan.setDuplicate(0);
    plan.setReorder(1, 20);
    const ds = decideMany(plan, seededRng(2), 500);
    expect(
      ds.every(
        (d) => d.kind === 'deliver' && !d.inOrder && d.delaysMs[0]! >= 0 && d.delaysMs[0]! <= 20,
      ),
    ).toBe(true);
    expect(
      new Set(ds.map((d) => (d.kind === 'deliver' ? d.delaysMs[0] : -1))).size,
    ).toBeGreaterThan(10);
  });

  it('a clogged node holds its traffic both ways (before any partition decision) until unclogged', () => {
    const plan = new FaultPlan();
    plan.partition([[1], [2]]);
    plan.clog(2);
    expect(plan.decide(1, 2, seededRng(1))).toEqual({ kind: 'hold' });
    expect(plan.decide(2, 3, seededRng(1))).toEqual({ kind: 'hold' });
    expect(plan.arrival(3, 2)).toBe('hold');
    plan.unclog(2);
    expect(plan.isClogged(2)).toBe(false);
    expect(plan.decide(1, 2, seededRng(1)).kind).toBe('drop');
    expect(plan.arrival(1, 2)).toBe('drop');
    expect(plan.arrival(2, 3)).toBe('deliver');
  });

  it('the same seed gives the same decisions', () => {
    const make = (): FaultPlan => {
      const plan = new FaultPlan();
      plan.setDrop(0.2);
      plan.setDelay({ minMs: 0, maxMs: 50 });
      plan.setDuplicate(0.1);
      plan.setReorder(0.1);
      return plan;
    };
    expect(decideMany(make(), seededRng(99), 500)).toEqual(decideMany(make(), seededRng(99), 500));
    expect(decideMany(make(), seededRng(99), 500)).not.toEqual(
      decideMany(make(), seededRng(100), 500),
    );
  });

  it('tells subscribers about every change; reset turns every fault off', () => {
    const plan = new FaultPlan();
    let changes = 0;
    const unsubscribe = plan.subscribe(() => changes++);
    plan.setDrop(0.5);
    plan.clog(1);
    plan.reset();
    expect(changes).toBe(3);
    expect(plan.decide(1, 2, seededRng(1))).toEqual({
      kind: 'deliver',
      delaysMs: [0],
      inOrder: true,
    });
    unsubscribe();
    plan.heal();
    expect(changes).toBe(3);
  });

  it('refuses out-of-range settings with a typed error', () => {
    const plan = new FaultPlan();
    expect(() => plan.setDrop(1.5)).toThrow(FaultPlanError);
    expect(() => plan.setLinkDrop(1, 2, -0.1)).toThrow(FaultPlanError);
    expect(() => plan.setDuplicate(Number.NaN)).toThrow(FaultPlanError);
    expect(() => plan.setDelay({ minMs: 10, maxMs: 5 })).toThrow(FaultPlanError);
    expect(() => plan.setDelay({ minMs: 0.5, maxMs: 5 })).toThrow(FaultPlanError);
    expect(() => plan.partition([[1, 2], [2]])).toThrow(FaultPlanError);
  });
});
