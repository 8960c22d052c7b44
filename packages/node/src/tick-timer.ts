// The driver's tick timer: it queues ticks for the loop, each with the clock
// time its period ended, so that the loop can step ticks and messages into
// the core in the order they happened (driver.ts, stepInTimeOrder).
import type { Clock, TimerHandle } from '@flotilla/transport';

/** Ticks one tick-timer fire may count when it finds itself late (see arm). */
const TICKS_PER_FIRE_MAX = 2;
/** Ticks waiting for the core (a long write): more are forgiven, which only makes the node's timers slower. */
const TICKS_QUEUED_MAX = 10_000;

export class TickTimer {
  private readonly clock: Clock;
  private readonly tickMs: number;
  private readonly wake: () => void;
  /** The clock time at which each tick not yet taken by the loop fell due, in order (see arm). */
  private dueMs: number[] = [];
  private timer: TimerHandle | undefined;
  /** The clock time up to which tick periods have been counted (see arm). */
  private baseMs: number;
  private stopped = false;

  /** `wake` wakes the driver loop after ticks were queued. */
  constructor(clock: Clock, tickMs: number, wake: () => void) {
    this.clock = clock;
    this.tickMs = tickMs;
    this.wake = wake;
    this.baseMs = clock.now();
  }

  start(): void {
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
  }

  /** Ticks queued and not yet taken. */
  get queued(): number {
    return this.dueMs.length;
  }

  /** The due times of the ticks queued, oldest first; the queue is empty after. */
  take(): number[] {
    const due = this.dueMs;
    this.dueMs = [];
    return due;
  }

  /**
   * Ticks follow the clock, not the number of timer callbacks: a timer re-armed
   * after each fire runs late by the event loop's delay (1–2 ms per 10 ms tick
   * under load here), so a busy node's election timer ran 10–20 % slow and two
   * survivors of a dead leader counted different times since its last
   * heartbeat; the slower one then refused the other's pre-vote (it still
   * "heard" the leader) and the election took another round. A fire that finds
   * two or more tick periods gone counts TICKS_PER_FIRE_MAX ticks and forgives
   * the rest: a long stall (GC, a paused process) never turns into a burst of
   * ticks processed before the sockets are read, and ticks never run faster
   * than the clock (leader leases rely on that). Each tick is queued with the
   * time its period ended, so the driver loop can put it in time order with
   * messages.
   */
  private arm(): void {
    this.timer = this.clock.setTimer(this.tickMs, () => {
      if (this.stopped) return;
      const now = this.clock.now();
      const periods = Math.floor((now - this.baseMs) / this.tickMs);
      const due: number[] = [];
      if (periods < 1) {
        // The clock stood still (a skewed test clock after a backward jump): one tick per fire, as before.
        due.push(now);
        this.baseMs = now;
      } else {
        // Late by more than TICKS_PER_FIRE_MAX periods: the last ones are counted, the earlier ones forgiven.
        for (let k = Math.max(1, periods - TICKS_PER_FIRE_MAX + 1); k <= periods; k++)
          due.push(this.baseMs + k * this.tickMs);
        this.baseMs = periods > TICKS_PER_FIRE_MAX ? now : this.baseMs + periods * this.tickMs;
      }
      for (const at of due) if (this.dueMs.length < TICKS_QUEUED_MAX) this.dueMs.push(at);
      this.arm();
      this.wake();
    });
  }
}
