// Waits for this node's applied index to reach an index: a write forwarded to
// the leader is answered by the leader once applied there, and the follower
// that took it answers its client only once it applied the entry too, so a
// serializable read, the member table or the lease list on that member shows
// the write (etcd's members answer a write once they applied it themselves).
// Bounded: a member cut off right after the leader's answer would never apply
// it, and the write is committed whatever this member knows, so after the
// bound the answer goes out anyway.
import type { Clock, TimerHandle } from '@flotilla/transport';

interface Wait {
  readonly index: number;
  readonly done: () => void;
  readonly timer: TimerHandle;
}

export class AppliedWaits {
  private waits: Wait[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly appliedIndex: () => number,
    private readonly boundMs: number,
  ) {}

  get size(): number {
    return this.waits.length;
  }

  /** Resolves once the applied index is at least `index`, or after the bound. */
  reach(index: number): Promise<void> {
    if (this.appliedIndex() >= index) return Promise.resolve();
    return new Promise((resolve) => {
      const wait: Wait = {
        index,
        done: () => {
          this.clock.clearTimer(wait.timer);
          this.waits = this.waits.filter((w) => w !== wait);
          resolve();
        },
        timer: this.clock.setTimer(this.boundMs, () => wait.done()),
      };
      this.waits.push(wait);
    });
  }

  /** The applied index moved (entries applied or a snapshot installed). */
  advanced(): void {
    if (this.waits.length === 0) return;
    const applied = this.appliedIndex();
    for (const w of this.waits.filter((x) => x.index <= applied)) w.done();
  }

  /** The node stops: nothing will be applied any more; every wait ends now. */
  releaseAll(): void {
    for (const w of [...this.waits]) w.done();
  }
}
