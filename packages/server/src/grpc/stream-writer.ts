// Writes to a gRPC server stream with backpressure: a write resolves once the
// stream has room again (or is gone). Writes after the end are dropped, so a
// watcher that delivers late cannot write to a finished call.
import type { StatusObject } from '@grpc/grpc-js';
import type { Writable } from 'node:stream';

type Call = Writable & { emit(event: 'error', status: Partial<StatusObject>): boolean };

export class StreamWriter {
  private finished = false;

  constructor(private readonly call: Call) {
    call.on('close', () => {
      this.finished = true;
    });
  }

  get done(): boolean {
    return this.finished || this.call.destroyed || this.call.writableEnded;
  }

  write(message: unknown): Promise<void> {
    if (this.done) return Promise.resolve();
    if (this.call.write(message)) return Promise.resolve();
    return new Promise((resolve) => {
      const settle = (): void => {
        this.call.off('drain', settle);
        this.call.off('close', settle);
        resolve();
      };
      this.call.on('drain', settle);
      this.call.on('close', settle);
    });
  }

  /** Ends the call with OK. */
  end(): void {
    if (this.done) return;
    this.finished = true;
    this.call.end();
  }

  /** Ends the call with an error status (grpc-js sends the status of an emitted error). */
  fail(status: Partial<StatusObject>): void {
    if (this.done) return;
    this.finished = true;
    this.call.emit('error', status);
  }
}
