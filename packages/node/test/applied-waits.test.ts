// AppliedWaits: a follower's answer to a forwarded write waits for its own
// apply, but never longer than its bound, and never past the node's stop.
import { VirtualClock } from '@flotilla/transport';
import { describe, expect, it } from 'vitest';
import { AppliedWaits } from '../src/applied-waits.js';

function setup(boundMs = 100) {
  const clock = new VirtualClock();
  let applied = 3;
  const waits = new AppliedWaits(clock, () => applied, boundMs);
  const track = (index: number) => {
    const seen = { done: false };
    void waits.reach(index).then(() => (seen.done = true));
    return seen;
  };
  return { clock, waits, track, apply: (to: number) => ((applied = to), waits.advanced()) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('AppliedWaits', () => {
  it('resolves at once when the index is applied, else when the applied index reaches it', async () => {
    const { waits, track, apply } = setup();
    const now = track(3);
    const later = track(5);
    const beyond = track(9);
    await flush();
    expect([now.done, later.done, beyond.done]).toEqual([true, false, false]);
    apply(4);
    await flush();
    expect(later.done).toBe(false);
    apply(6);
    await flush();
    expect([later.done, beyond.done]).toEqual([true, false]);
    expect(waits.size).toBe(1);
  });

  it('gives up after its bound (a member cut off after the answer), and on stop', async () => {
    const { clock, waits, track } = setup(100);
    const cutOff = track(5);
    clock.advance(99);
    await flush();
    expect(cutOff.done).toBe(false);
    clock.advance(1);
    await flush();
    expect(cutOff.done).toBe(true);
    const stopped = track(7);
    waits.releaseAll();
    await flush();
    expect(stopped.done).toBe(true);
    expect(waits.size).toBe(0);
  });
});
