import { describe, expect, it } from 'vitest';
import { ClockRunawayError, VirtualClock } from '../src/index.js';

describe('VirtualClock', () => {
  it('fires timers in due order, and timers due at the same time in the order they were set', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(10, () => fired.push('a10'));
    clock.setTimer(5, () => fired.push('b5'));
    clock.setTimer(10, () => fired.push('c10'));
    clock.setTimer(0, () => fired.push('d0'));
    clock.advance(10);
    expect(fired).toEqual(['d0', 'b5', 'a10', 'c10']);
    expect(clock.now()).toBe(10);
  });

  it('moves now to each timer as it fires, and runs timers set by timers when they fall due within the run', () => {
    const clock = new VirtualClock({ startMs: 100 });
    const seen: number[] = [];
    clock.setTimer(3, () => {
      seen.push(clock.now());
      clock.setTimer(2, () => seen.push(clock.now()));
      clock.setTimer(50, () => seen.push(clock.now()));
    });
    clock.runUntil(110);
    expect(seen).toEqual([103, 105]);
    expect(clock.now()).toBe(110);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextAt()).toBe(153);
  });

  it('a cleared timer never fires and is not counted', () => {
    const clock = new VirtualClock();
    let fired = false;
    const handle = clock.setTimer(1, () => {
      fired = true;
    });
    clock.clearTimer(handle);
    clock.clearTimer(handle);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.runNext()).toBe(false);
    clock.advance(5);
    expect(fired).toBe(false);
  });

  it('runNext jumps to the next timer', () => {
    const clock = new VirtualClock();
    const order: number[] = [];
    clock.setTimer(30, () => order.push(30));
    clock.setTimer(7, () => order.push(7));
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(7);
    expect(clock.runNext()).toBe(true);
    expect(order).toEqual([7, 30]);
    expect(clock.runNext()).toBe(false);
  });

  it('refuses to run backwards, and stops a timer that re-arms itself at zero delay with a typed error', () => {
    const clock = new VirtualClock({ firesPerRunMax: 1000 });
    clock.advance(10);
    expect(() => clock.runUntil(5)).toThrow(RangeError);
    const rearm = (): void => {
      clock.setTimer(0, rearm);
    };
    rearm();
    expect(() => clock.advance(1)).toThrow(ClockRunawayError);
  });
});
