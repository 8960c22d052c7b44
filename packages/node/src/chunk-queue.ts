// A bounded hand-off from message handlers (push) to a consumer that reads
// an AsyncIterable (the snapshot store writing a file). The consumer's pull is
// what acknowledges a chunk, so the sender cannot run ahead of the disk.
export class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly items: Uint8Array[] = [];
  private bytes = 0;
  private ended = false;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly bytesMax: number,
    /** Called as the consumer takes each chunk, with its position (0-based). */
    private readonly onTaken: (position: number) => void,
  ) {}

  /** False (and nothing queued) when the chunk would exceed the byte bound. */
  push(chunk: Uint8Array): boolean {
    if (this.ended || this.failure !== undefined) return false;
    if (this.bytes + chunk.byteLength > this.bytesMax && this.items.length > 0) return false;
    this.items.push(chunk);
    this.bytes += chunk.byteLength;
    this.wake();
    return true;
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(err: Error): void {
    if (this.failure === undefined) this.failure = err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let position = 0;
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const next = this.items.shift();
      if (next !== undefined) {
        this.bytes -= next.byteLength;
        this.onTaken(position++);
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }
}
