// The host's end of a watch on a worker node: a kv Watcher (same iteration,
// poll, cancel and final-response semantics) fed by the worker. Flow control
// keeps memory bounded on both sides: the worker sends responses only while
// fewer than `watchBufferEventsMax` events are unacknowledged, and this side
// acknowledges as its consumer takes them. A host that stops reading (or
// whose event loop is blocked) therefore stops the worker's pump; the
// worker's kv watcher then fills and is cancelled as slow with kv's own
// message (resume from its revision), exactly as an inline node's would be.
import { Watcher, type WatchRequest, type WatchResponse } from '@flotilla/kv';
import { watchWeight } from './protocol.js';

export interface RemoteWatcherLink {
  ack(wid: number, weight: number): void;
  cancel(wid: number): void;
}

type WatcherSpan = ConstructorParameters<typeof Watcher>[2];

export class RemoteWatcher extends Watcher {
  constructor(
    private readonly wid: number,
    request: WatchRequest,
    startRevision: number,
    bufferEventsMax: number,
    private readonly link: RemoteWatcherLink,
    onClose: (w: Watcher) => void,
  ) {
    // The key span is the worker's concern (its hub matches events); this side only queues.
    // Twice the worker's window: what is in flight always fits, so a response is never refused here.
    super(
      wid,
      request,
      undefined as unknown as WatcherSpan,
      startRevision,
      2 * bufferEventsMax,
      onClose,
    );
    this.state = 'synced';
  }

  /** A response from the worker (a canceled one is the last). */
  deliver(response: WatchResponse, catchingUp = false): void {
    if (this.closed) return;
    this.state = catchingUp ? 'catchingUp' : 'synced';
    if (response.canceled) {
      this.finish(response);
      return;
    }
    if (!this.offer(response)) {
      this.finish({
        revision: response.revision,
        events: [],
        cancelReason: `slow watcher: buffer full (watchBufferEventsMax); resume with startRevision ${this.nextRevision}`,
      });
      this.link.cancel(this.wid);
      return;
    }
    const last = response.events[response.events.length - 1];
    if (last !== undefined)
      this.nextRevision = Math.max(this.nextRevision, last.kv.modRevision + 1);
  }

  override poll(): WatchResponse | undefined {
    const r = super.poll();
    if (r !== undefined && !r.canceled) this.link.ack(this.wid, watchWeight(r));
    return r;
  }

  override cancel(): void {
    if (this.closed) return;
    super.cancel();
    this.link.cancel(this.wid);
  }
}
