// One watch over the streamed /v3/watch (newline-delimited JSON). When the
// stream breaks, it reconnects (another endpoint, bounded back-off) and
// resumes from the last delivered revision + 1; compaction ends the watch
// with CompactedError.

import type { WatchRequest } from '@flotilla/kv';
import { UnavailableError } from '../errors.js';
import { backoffMs, type RetryEnv, type RetryOptions } from '../retry.js';
import { WatchStream } from '../watch-stream.js';
import { asWire, get } from '../wire.js';
import { AttemptError, errorFromAnswer, jsonLines } from './http.js';
import type { Endpoints } from './endpoints.js';
import { jsonCodec } from './json-codec.js';

/** What a watch needs of the backend that opened it (RemoteBackend is one). */
export interface WatchHost {
  readonly endpoints: Endpoints;
  readonly retry: RetryOptions;
  readonly env: RetryEnv;
  openStream(
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<{ res: Response; endpoint: string }>;
}

export interface RemoteWatchOptions {
  bufferEventsMax: number;
  messageBytesMax: number;
}

export class RemoteWatch extends WatchStream {
  private readonly abort = new AbortController();

  constructor(
    private readonly backend: WatchHost,
    private readonly req: WatchRequest,
    private readonly watchOptions: RemoteWatchOptions,
  ) {
    super({
      bufferEventsMax: watchOptions.bufferEventsMax,
      startRevision: req.startRevision ?? 0,
      onCancel: () => this.abort.abort(),
    });
    void this.run();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      let progressed = false;
      let lastError: unknown;
      try {
        progressed = await this.session();
      } catch (err) {
        lastError = err;
        if (
          !(err instanceof AttemptError) &&
          !(err instanceof TypeError) &&
          !(err instanceof SyntaxError) &&
          !isAbort(err)
        ) {
          this.fail(err);
          return;
        }
      }
      if (this.closed) return;
      failures = progressed ? 0 : failures + 1;
      if (failures >= this.backend.retry.attemptsMax) {
        this.fail(
          new UnavailableError(
            'watch',
            failures,
            lastError ?? new Error('the watch stream kept ending'),
          ),
        );
        return;
      }
      await this.backend.env.sleep(
        backoffMs(this.backend.retry, failures + 1, this.backend.env.random),
      );
    }
  }

  /** One stream until it ends; true if it delivered anything (then failures start counting again). */
  private async session(): Promise<boolean> {
    const create = jsonCodec.watchCreate({ ...this.req, startRevision: this.resumeRevision });
    const { res, endpoint } = await this.backend.openStream(
      '/v3/watch',
      { create_request: create },
      this.abort.signal,
    );
    let progressed = false;
    try {
      for await (const message of jsonLines(res, this.watchOptions.messageBytesMax)) {
        const m = asWire(message);
        const error = get(m, 'error');
        if (error !== undefined) throw errorFromAnswer(endpoint, 503, JSON.stringify(error));
        if (this.handle(asWire(get(m, 'result')))) progressed = true;
        if (this.closed) break;
        await this.room();
      }
    } catch (err) {
      if (this.closed) return progressed;
      if (err instanceof AttemptError || isAbort(err) || err instanceof TypeError) {
        this.backend.endpoints.failed(endpoint);
        if (progressed) return true;
      }
      throw err;
    } finally {
      await res.body?.cancel().catch(() => undefined);
    }
    this.backend.endpoints.failed(endpoint);
    return progressed;
  }

  private handle(w: Record<string, unknown>): boolean {
    const outcome = this.acceptWireResponse(w, (e) => jsonCodec.event(e), 'no reason given');
    return outcome === 'created' || outcome === 'events';
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}
