// Ticks follow the clock, not the number of timer callbacks: timers that fire
// late (a busy event loop) must not stretch election timeouts, and a stall
// must not turn into a burst of ticks.
import { MemoryLevel } from 'memory-level';
import { seededRng } from '@flotilla/raft';
import { MemoryStorage } from '@flotilla/storage';
import { MemoryNetwork, VirtualClock, type Clock, type TimerHandle } from '@flotilla/transport';
import { describe, expect, it } from 'vitest';
import { createNode } from '../src/index.js';

/** A clock whose timers fire `lateMs` after they are due, like Node timers on a busy event loop. */
function lateTimers(base: VirtualClock, lateMs: number): Clock {
  return {
    now: () => base.now(),
    setTimer: (delayMs: number, fn: () => void): TimerHandle => base.setTimer(delayMs + lateMs, fn),
    clearTimer: (handle: TimerHandle) => base.clearTimer(handle),
  };
}

const TICK_MS = 10;
const ELECTION_TICKS = 10;

/** Clock time until a lone member of a 3-voter cluster (its peers never start) begins to campaign. */
async function msUntilCampaign(seed: number, lateMs: number): Promise<number> {
  const base = new VirtualClock();
  const clock = lateTimers(base, lateMs);
  const network = new MemoryNetwork({ clock: base, rng: seededRng(seed) });
  const node = await createNode({
    id: 1,
    clusterId: 'ticks',
    storage: new MemoryStorage(),
    transport: network.transport(1),
    clock,
    rng: seededRng(seed),
    stateLevel: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }),
    initialVoters: [1, 2, 3],
    options: { tickMs: TICK_MS, electionTicks: ELECTION_TICKS, heartbeatTicks: 1 },
  });
  try {
    const start = base.now();
    for (let ms = 0; ms < 1_000; ms++) {
      base.advance(1);
      await new Promise((resolve) => setImmediate(resolve));
      if (node.status().role !== 'follower') return base.now() - start;
    }
    throw new Error('the node never campaigned');
  } finally {
    await node.close();
  }
}

describe('tick accounting', () => {
  it('timers firing 6 ms late per 10 ms tick do not stretch the randomised election timeout', async () => {
    // The timeout is drawn from [electionTicks, 2·electionTicks) ticks: at most 200 ms of clock
    // time plus one late fire. Counting one tick per fire would take up to 19 × 16 = 304 ms.
    const boundMs = 2 * ELECTION_TICKS * TICK_MS + TICK_MS + 6;
    const times: number[] = [];
    for (let seed = 1; seed <= 12; seed++) times.push(await msUntilCampaign(seed, 6));
    expect(Math.max(...times)).toBeLessThanOrEqual(boundMs);
    // ...and never sooner than the clock allows (leader leases rely on ticks not running fast).
    expect(Math.min(...times)).toBeGreaterThanOrEqual(ELECTION_TICKS * TICK_MS);
  });

  it('on time, a tick is one timer fire (virtual-time simulations are unchanged)', async () => {
    const onTime: number[] = [];
    for (let seed = 1; seed <= 6; seed++) onTime.push(await msUntilCampaign(seed, 0));
    for (const t of onTime) {
      expect(t % TICK_MS).toBe(0);
      expect(t).toBeGreaterThanOrEqual(ELECTION_TICKS * TICK_MS);
      expect(t).toBeLessThan(2 * ELECTION_TICKS * TICK_MS + TICK_MS);
    }
  });
});
