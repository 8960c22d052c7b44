// The Watch every backend hands out: a bounded queue between the backend's
// producer (a stream reader) and the consumer (for await / next()).
// The producer awaits room() before reading more, so a slow consumer pushes
// back on the connection instead of growing memory.

import { CompactedError } from '@flotilla/kv';
import { WatchCanceledError } from './errors.js';
import type { Event, Watch, WatchBatch } from './types.js';
import { asWire, get, int, list } from './wire.js';

/** What one etcd-shaped watch response turned out to be. */
export type WireWatchOutcome = 'created' | 'canceled' | 'events' | 'empty';

export interface WatchStreamOptions {
  /** Events queued before the producer is paused (a single larger revision still fits). */
  bufferEventsMax: number;
  /** The first revision the consumer will see (startRevision, or 0 if the backend picks "now"). */
  startRevision: number;
  onCancel: () => void;
}

export const DEFAULT_WATCH_BUFFER_EVENTS_MAX = 1_000;

export class WatchStream implements Watch {
  private readonly queue: WatchBatch[] = [];
  private queuedEvents = 0;
  private failure: unknown;
  private done = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (err: unknown) => void;
  /** Next revision the consumer will receive. */
  nextRevision: number;
  /** Next revision the producer must ask the server for when it reconnects. */
  resumeRevision: number;

  constructor(private readonly options: WatchStreamOptions) {
    this.nextRevision = options.startRevision;
    this.resumeRevision = options.startRevision;
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A failure before ready() is awaited must not become an unhandled rejection.
    this.readyPromise.catch(() => undefined);
  }

  get closed(): boolean {
    return this.done;
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Producer: the backend registered the watch; `revision` is the store's revision then. */
  markReady(revision: number): void {
    if (this.nextRevision === 0) this.nextRevision = revision + 1;
    if (this.resumeRevision === 0) this.resumeRevision = revision + 1;
    this.resolveReady();
  }

  /**
   * Producer: one watch response in etcd's wire shape (both the gRPC and the
   * JSON-gateway backends speak it): `created`, `canceled` with
   * `compact_revision`, or `events` under a header revision.
   */
  acceptWireResponse(
    w: Record<string, unknown>,
    decodeEvent: (e: unknown) => Event,
    unexplainedCancel: string,
  ): WireWatchOutcome {
    const revision = int(get(asWire(get(w, 'header')), 'revision'));
    if (get(w, 'created') === true) {
      this.markReady(revision);
      return 'created';
    }
    if (get(w, 'canceled') === true) {
      const compactRevision = int(get(w, 'compact_revision'));
      const reason = String(get(w, 'cancel_reason') ?? '');
      this.fail(
        compactRevision > 0
          ? CompactedError.of(this.resumeRevision, compactRevision)
          : new WatchCanceledError(reason || unexplainedCancel),
      );
      return 'canceled';
    }
    const events = list(get(w, 'events')).map(decodeEvent);
    if (events.length === 0) return 'empty';
    this.push(revision, events);
    return 'events';
  }

  /** Producer: deliver events (already in revision order). Events below resumeRevision (a replay after reconnect) are dropped. */
  push(revision: number, events: readonly Event[]): void {
    if (this.done) return;
    const fresh = events.filter((e) => e.kv.modRevision >= this.resumeRevision);
    if (fresh.length === 0) return;
    const last = fresh[fresh.length - 1]!.kv.modRevision;
    if (this.resumeRevision === 0 || last + 1 > this.resumeRevision) this.resumeRevision = last + 1;
    this.queue.push({ revision, events: fresh });
    this.queuedEvents += fresh.length;
    this.wake();
  }

  /** Producer: end the stream with an error the consumer will throw (after what is queued). */
  fail(err: unknown): void {
    if (this.done) return;
    this.failure = err;
    this.done = true;
    this.rejectReady(err);
    this.wake();
    this.options.onCancel();
  }

  /** Producer: resolves when the consumer has drained the queue below the limit (or the watch ended). */
  room(): Promise<void> {
    if (this.done || this.queuedEvents < this.options.bufferEventsMax) return Promise.resolve();
    return new Promise<void>((resolve) => (this.wakeProducer = resolve));
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.queuedEvents = 0;
    this.resolveReady();
    this.wake();
    this.options.onCancel();
  }

  async next(): Promise<WatchBatch | undefined> {
    for (;;) {
      const batch = this.queue.shift();
      if (batch) {
        this.queuedEvents -= batch.events.length;
        this.nextRevision = batch.events[batch.events.length - 1]!.kv.modRevision + 1;
        if (this.queuedEvents < this.options.bufferEventsMax) this.wakeProducerNow();
        return batch;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.done) return undefined;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    try {
      for (;;) {
        const batch = await this.next();
        if (!batch) return;
        yield batch;
      }
    } finally {
      // Leaving a for-await early (break/throw) ends the watch on the server too.
      this.cancel();
    }
  }

  private wake(): void {
    this.wakeConsumer?.();
    this.wakeConsumer = undefined;
    this.wakeProducerNow();
  }

  private wakeProducerNow(): void {
    this.wakeProducer?.();
    this.wakeProducer = undefined;
  }
}
