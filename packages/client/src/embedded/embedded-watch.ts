// A watch on the node's own state machine (a kv Watcher, pulled at the
// consumer's pace). The state machine cancels a watcher that falls too far
// behind, or on snapshot install or node stop; such a watch is re-created
// from the next undelivered revision (bounded), compaction ends it.

import { CompactedError, type WatchRequest, type Watcher } from '@flotilla/kv';
import type { FlotillaNode } from '@flotilla/node';
import { UnavailableError, WatchCanceledError } from '../errors.js';
import { backoffMs, type RetryEnv, type RetryOptions } from '../retry.js';
import { WatchStream } from '../watch-stream.js';

export interface EmbeddedWatchOptions {
  bufferEventsMax: number;
  retry: RetryOptions;
  env: RetryEnv;
}

export class EmbeddedWatch extends WatchStream {
  private watcher: Watcher | undefined;

  constructor(
    private readonly node: FlotillaNode,
    private readonly req: WatchRequest,
    private readonly watchOptions: EmbeddedWatchOptions,
  ) {
    super({
      bufferEventsMax: watchOptions.bufferEventsMax,
      startRevision: req.startRevision ?? 0,
      onCancel: () => this.watcher?.cancel(),
    });
    void this.run();
  }

  private async run(): Promise<void> {
    let failures = 0;
    let lastReason = '';
    while (!this.closed) {
      let watcher: Watcher;
      try {
        watcher = this.node.watch(
          this.resumeRevision > 0 ? { ...this.req, startRevision: this.resumeRevision } : this.req,
        );
      } catch (err) {
        this.fail(err);
        return;
      }
      this.watcher = watcher;
      // Created synchronously: everything from nextRevision on will be delivered.
      this.markReady(watcher.nextRevision - 1);
      const outcome = await this.drain(watcher);
      if (this.closed || outcome.done) return;
      lastReason = outcome.reason;
      failures = outcome.progressed ? 0 : failures + 1;
      if (failures >= this.watchOptions.retry.attemptsMax) {
        this.fail(new UnavailableError('watch', failures, new WatchCanceledError(lastReason)));
        return;
      }
      await this.watchOptions.env.sleep(
        backoffMs(this.watchOptions.retry, failures + 1, this.watchOptions.env.random),
      );
    }
  }

  /** Delivers until the watcher ends: done (compacted or cancelled by us) or resumable. */
  private async drain(
    watcher: Watcher,
  ): Promise<{ done: boolean; progressed: boolean; reason: string }> {
    let progressed = false;
    for (;;) {
      await this.room();
      const res = await watcher.next();
      if (this.closed) return { done: true, progressed, reason: '' };
      if (!res) return { done: false, progressed, reason: 'the watcher ended' };
      if (res.events.length > 0) {
        this.push(res.revision, res.events);
        progressed = true;
      }
      if (res.canceled) {
        if (res.compactRevision !== undefined && res.compactRevision > 0) {
          this.fail(CompactedError.of(this.resumeRevision, res.compactRevision));
          return { done: true, progressed, reason: '' };
        }
        return { done: false, progressed, reason: res.cancelReason ?? 'cancelled by the node' };
      }
    }
  }
}
