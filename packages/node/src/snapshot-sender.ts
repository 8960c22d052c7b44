// InstallSnapshot, leader side: stream the newest stored snapshot to one
// follower in chunks of chunkBytes, at most windowChunks unacknowledged, over
// the node channel. A transfer with no progress for timeoutMs is abandoned.
// The core is told the result through reportSnapshot (via `report`).
import { createHash } from 'node:crypto';
import type { NodeId } from '@flotilla/raft';
import type { SnapshotStore } from '@flotilla/storage';
import type { Clock, TimerHandle } from '@flotilla/transport';
import type { NodeWire } from './wire.js';

export interface SenderDeps {
  readonly clock: Clock;
  readonly snapshots: SnapshotStore;
  send(to: NodeId, body: NodeWire): void;
  /** The transfer to `to` ended: delivered and installed (true) or not (false). */
  report(to: NodeId, ok: boolean): void;
  readonly chunkBytes: number;
  readonly windowChunks: number;
  readonly timeoutMs: number;
}

interface Transfer {
  readonly xfer: number;
  acked: number;
  done: boolean;
  failed: boolean;
  wake: (() => void) | undefined;
}

export class SnapshotSender {
  private readonly active = new Map<NodeId, Transfer>();
  private nextXfer = 1;
  private stopped = false;

  constructor(private readonly deps: SenderDeps) {}

  get inProgress(): number {
    return this.active.size;
  }

  /** The core wants `to` to get a snapshot (of at least the compaction point). One transfer per follower. */
  start(to: NodeId, term: number, minIndex: number): void {
    if (this.stopped || this.active.has(to)) return;
    const t: Transfer = {
      xfer: this.nextXfer++,
      acked: 0,
      done: false,
      failed: false,
      wake: undefined,
    };
    this.active.set(to, t);
    void this.run(to, term, minIndex, t).then(
      (ok) => this.finish(to, t, ok),
      () => this.finish(to, t, false),
    );
  }

  acked(from: NodeId, xfer: number, seq: number, ok: boolean, done: boolean): void {
    const t = this.active.get(from);
    if (t === undefined || t.xfer !== xfer) return;
    if (!ok) t.failed = true;
    else t.acked = Math.max(t.acked, seq + 1);
    if (done) t.done = true;
    const wake = t.wake;
    t.wake = undefined;
    wake?.();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.active.values()) {
      t.failed = true;
      t.wake?.();
    }
  }

  private finish(to: NodeId, t: Transfer, ok: boolean): void {
    if (this.active.get(to) === t) this.active.delete(to);
    if (!this.stopped) this.deps.report(to, ok);
  }

  private async run(to: NodeId, term: number, minIndex: number, t: Transfer): Promise<boolean> {
    const opened = await this.deps.snapshots.openLatest();
    if (opened === undefined || opened.meta.index < minIndex) return false;
    const hash = createHash('sha256');
    let seq = 0;
    let pending: Uint8Array | undefined;
    const sendChunk = async (data: Uint8Array, last: boolean): Promise<boolean> => {
      while (seq - t.acked >= this.deps.windowChunks) {
        if (!(await this.progress(t))) return false;
      }
      if (t.failed || this.stopped) return false;
      hash.update(data);
      const body: NodeWire = last
        ? {
            k: 'snap',
            xfer: t.xfer,
            seq,
            term,
            meta: opened.meta,
            data,
            digest: new Uint8Array(hash.digest()),
          }
        : { k: 'snap', xfer: t.xfer, seq, term, meta: opened.meta, data };
      this.deps.send(to, body);
      seq++;
      return true;
    };
    for await (const piece of rechunk(opened.stream(), this.deps.chunkBytes)) {
      if (pending !== undefined && !(await sendChunk(pending, false))) return false;
      pending = piece;
    }
    if (!(await sendChunk(pending ?? new Uint8Array(0), true))) return false;
    while (!t.done) {
      if (!(await this.progress(t))) return false;
    }
    return !t.failed;
  }

  /** Waits for the next ack; false on timeout, failure or stop. */
  private async progress(t: Transfer): Promise<boolean> {
    if (t.failed || this.stopped) return false;
    const arrived = await new Promise<boolean>((resolve) => {
      let timer: TimerHandle | undefined = undefined;
      t.wake = () => {
        if (timer !== undefined) this.deps.clock.clearTimer(timer);
        resolve(true);
      };
      timer = this.deps.clock.setTimer(this.deps.timeoutMs, () => {
        t.wake = undefined;
        resolve(false);
      });
    });
    return arrived && !t.failed && !this.stopped;
  }
}

/** Re-cuts a stream into pieces of exactly `size` bytes (the last may be shorter). */
async function* rechunk(
  source: AsyncIterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(size);
  let used = 0;
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.byteLength) {
      const n = Math.min(size - used, chunk.byteLength - at);
      buf.set(chunk.subarray(at, at + n), used);
      used += n;
      at += n;
      if (used === size) {
        yield buf;
        buf = new Uint8Array(size);
        used = 0;
      }
    }
  }
  if (used > 0) yield buf.subarray(0, used);
}
