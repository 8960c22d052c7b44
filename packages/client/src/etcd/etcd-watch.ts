// One etcd watch on its own gRPC stream. A stream that breaks is reopened
// (bounded back-off) from the last delivered revision + 1, so the consumer
// sees no gap and no duplicate; compaction ends the watch with CompactedError.

import type { Etcd3 } from 'etcd3';
import type { WatchRequest } from '@flotilla/kv';
import { UnavailableError } from '../errors.js';
import { backoffMs, type RetryEnv, type RetryOptions } from '../retry.js';
import { WatchStream } from '../watch-stream.js';
import { asWire } from '../wire.js';
import { grpcCodec } from './grpc-codec.js';

interface DuplexLike {
  on(event: 'data', fn: (item: unknown) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  write(item: unknown): void;
  end(): void;
  cancel(): void;
  pause?(): void;
  resume?(): void;
}

export interface EtcdWatchOptions {
  bufferEventsMax: number;
  retry: RetryOptions;
  env: RetryEnv;
}

export class EtcdWatch extends WatchStream {
  private stream: DuplexLike | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly req: WatchRequest,
    private readonly watchOptions: EtcdWatchOptions,
  ) {
    super({
      bufferEventsMax: watchOptions.bufferEventsMax,
      startRevision: req.startRevision ?? 0,
      onCancel: () => this.closeStream(),
    });
    void this.run();
  }

  private closeStream(): void {
    const s = this.stream;
    this.stream = undefined;
    if (!s) return;
    try {
      s.end();
      s.cancel();
    } catch {
      // Already closed by the server: nothing to release.
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      const outcome = await this.session().catch((err: unknown) => err);
      if (this.closed) return;
      // A session that delivered something resets the failure count: only consecutive failures are bounded.
      if (outcome === 'progress') failures = 0;
      else failures++;
      if (failures >= this.watchOptions.retry.attemptsMax) {
        this.fail(new UnavailableError('watch', failures, outcome));
        return;
      }
      await this.watchOptions.env.sleep(
        backoffMs(this.watchOptions.retry, failures + 1, this.watchOptions.env.random),
      );
    }
  }

  /** One stream: resolves 'progress' or 'none' when it ends, after which the caller reconnects. */
  private async session(): Promise<'progress' | 'none'> {
    const stream = (await this.client.watchClient.watch()) as unknown as DuplexLike;
    if (this.closed) {
      stream.end();
      stream.cancel();
      return 'none';
    }
    this.stream = stream;
    let progressed = false;
    return new Promise<'progress' | 'none'>((resolve, reject) => {
      stream.on('data', (item) => {
        if (this.handle(item, stream)) progressed = true;
      });
      stream.on('error', (err) => (progressed ? resolve('progress') : reject(err)));
      stream.on('end', () => resolve(progressed ? 'progress' : 'none'));
      const create = grpcCodec.watchCreate({ ...this.req, startRevision: this.resumeRevision });
      if (this.resumeRevision === 0) delete create['start_revision'];
      stream.write({ create_request: create });
    });
  }

  /** Handles one response; true if the watch made progress. */
  private handle(item: unknown, stream: DuplexLike): boolean {
    const outcome = this.acceptWireResponse(
      asWire(item),
      (e) => grpcCodec.event(e),
      'cancelled by etcd without a reason',
    );
    if (outcome === 'events') void this.pace(stream);
    return outcome === 'created' || outcome === 'events';
  }

  private async pace(stream: DuplexLike): Promise<void> {
    const room = this.room();
    let waiting = true;
    void room.then(() => (waiting = false));
    await Promise.resolve();
    if (!waiting) return;
    stream.pause?.();
    await room;
    stream.resume?.();
  }
}
