// One watcher: a bounded queue of responses between the hub (producer) and
// the consumer (async iterator or poll()). Live delivery never waits for the
// consumer: a watcher whose queue would exceed watchBufferEventsMax is
// cancelled as slow, with the revision to resume from.

import type { KeySpan } from './key-index.js';
import type { WatchRequest, WatchResponse } from './types.js';

export type WatcherState = 'catchingUp' | 'synced' | 'closed';

export class Watcher implements AsyncIterable<WatchResponse> {
  /** The next revision this watcher will deliver; resume a new watch here after a cancel. */
  nextRevision: number;
  state: WatcherState = 'catchingUp';
  progressPending = false;
  /** Set when events were queued since the last progress tick. */
  sentSinceTick = false;
  private readonly queue: { response: WatchResponse; weight: number }[] = [];
  private queuedWeight = 0;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private onClose: ((w: Watcher) => void) | undefined;

  constructor(
    readonly id: number,
    readonly request: WatchRequest,
    readonly span: KeySpan,
    startRevision: number,
    private readonly bufferEventsMax: number,
    onClose: (w: Watcher) => void,
  ) {
    this.nextRevision = startRevision;
    this.onClose = onClose;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Events (or 1 per empty response) waiting for the consumer. */
  get buffered(): number {
    return this.queuedWeight;
  }

  /** Queues a response; false if it does not fit the buffer (the caller then cancels). */
  offer(response: WatchResponse): boolean {
    const weight = Math.max(1, response.events.length);
    if (this.queuedWeight > 0 && this.queuedWeight + weight > this.bufferEventsMax) return false;
    this.push(response, weight);
    if (response.events.length > 0) this.sentSinceTick = true;
    return true;
  }

  private push(response: WatchResponse, weight: number): void {
    this.queue.push({ response, weight });
    this.queuedWeight += weight;
    this.wakeConsumer?.();
    this.wakeConsumer = undefined;
  }

  /** Ends the watcher with a final response (compacted, slow, restored), delivered after what is queued. */
  finish(response: WatchResponse): void {
    if (this.closed) return;
    this.push({ ...response, canceled: true }, 0);
    this.close();
  }

  /** Cancel by the consumer: nothing more is delivered. */
  cancel(): void {
    if (this.closed) return;
    this.queue.length = 0;
    this.queuedWeight = 0;
    this.close();
  }

  private close(): void {
    this.state = 'closed';
    this.onClose?.(this);
    this.onClose = undefined;
    this.wakeConsumer?.();
    this.wakeConsumer = undefined;
    this.wakeProducer?.();
    this.wakeProducer = undefined;
  }

  /** A queued response, if any, without waiting. */
  poll(): WatchResponse | undefined {
    const item = this.queue.shift();
    if (!item) return undefined;
    this.queuedWeight -= item.weight;
    if (this.queuedWeight * 2 <= this.bufferEventsMax) {
      this.wakeProducer?.();
      this.wakeProducer = undefined;
    }
    return item.response;
  }

  /** The next response; undefined once the watcher is closed and drained. */
  async next(): Promise<WatchResponse | undefined> {
    for (;;) {
      const r = this.poll();
      if (r || this.closed) return r;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }

  /** Resolves when the consumer has drained the queue to half (history replay is paced by it). */
  drained(): Promise<void> {
    if (this.queuedWeight * 2 <= this.bufferEventsMax || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => (this.wakeProducer = resolve));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    for (;;) {
      const r = await this.next();
      if (!r) return;
      yield r;
    }
  }
}
