import { describe, expect, it } from 'vitest';
import { LEASE_CLOCK_DRIFT_MAX, leaseFractionMax, NodeOptionsError } from '../src/index.js';
import { resolveOptions } from '../src/options.js';

describe('options: leaseFraction', () => {
  it('is bounded by (electionTicks − 1)/electionTicks · (1 − drift)/(1 + drift)', () => {
    expect(LEASE_CLOCK_DRIFT_MAX).toBe(0.05);
    expect(leaseFractionMax(15)).toBeCloseTo((14 / 15) * (0.95 / 1.05), 12); // ≈ 0.8444
    expect(leaseFractionMax(10)).toBeCloseTo(0.9 * (0.95 / 1.05), 12); // ≈ 0.8143
    // The lease measured on a clock 5 % slow never outlasts the voter's silence measured on a clock 5 % fast.
    for (const electionTicks of [2, 3, 10, 15, 100]) {
      const tickMs = 10;
      const leaseTrueMs =
        (leaseFractionMax(electionTicks) * electionTicks * tickMs) / (1 - LEASE_CLOCK_DRIFT_MAX);
      const silenceTrueMs = ((electionTicks - 1) * tickMs) / (1 + LEASE_CLOCK_DRIFT_MAX);
      expect(leaseTrueMs).toBeLessThanOrEqual(silenceTrueMs + 1e-9);
    }
  });

  it('a leaseFraction above the bound is refused with a NodeOptionsError that says what to do', () => {
    expect(() => resolveOptions({ electionTicks: 10, leaseFraction: 0.82 })).toThrow(
      NodeOptionsError,
    );
    expect(() => resolveOptions({ electionTicks: 10, leaseFraction: 0.82 })).toThrow(
      /at most 0\.8143.*lower leaseFraction or raise electionTicks/,
    );
    expect(() => resolveOptions({ leaseFraction: 0.9 })).toThrow(NodeOptionsError); // default electionTicks 15: at most 0.8444
    expect(() => resolveOptions({ leaseFraction: 1 })).toThrow(NodeOptionsError);
    expect(resolveOptions({ electionTicks: 10, leaseFraction: 0.81 }).leaseFraction).toBe(0.81);
  });

  it('the default is 0.8, or the bound when a short election timeout makes that lower', () => {
    expect(resolveOptions().leaseFraction).toBe(0.8);
    expect(resolveOptions({ electionTicks: 10 }).leaseFraction).toBe(0.8);
    expect(resolveOptions({ electionTicks: 3, heartbeatTicks: 1 }).leaseFraction).toBe(
      leaseFractionMax(3),
    ); // ≈ 0.603
  });
});
