// A per-peer queue of encoded frames, bounded by message count and bytes.
// When full, the oldest frames go first: for Raft the newest messages (latest
// term, latest commit index) are the useful ones.

export interface QueuedFrame {
  readonly payload: Uint8Array;
  /** Messages in the frame. */
  readonly count: number;
}

export interface PushResult {
  /** Messages evicted (oldest first) or refused because the frame alone is over a bound. */
  readonly droppedMessages: number;
}

export class SendQueue {
  private items: QueuedFrame[] = [];
  private head = 0;
  private messageCount = 0;
  private byteCount = 0;

  constructor(
    readonly messagesMax: number,
    readonly bytesMax: number,
  ) {}

  get messages(): number {
    return this.messageCount;
  }

  get bytes(): number {
    return this.byteCount;
  }

  get frames(): number {
    return this.items.length - this.head;
  }

  peek(): QueuedFrame | undefined {
    return this.items[this.head];
  }

  push(frame: QueuedFrame): PushResult {
    if (frame.count > this.messagesMax || frame.payload.byteLength > this.bytesMax) {
      return { droppedMessages: frame.count };
    }
    let dropped = 0;
    while (
      this.messageCount + frame.count > this.messagesMax ||
      this.byteCount + frame.payload.byteLength > this.bytesMax
    ) {
      dropped += this.shift()!.count;
    }
    this.items.push(frame);
    this.messageCount += frame.count;
    this.byteCount += frame.payload.byteLength;
    return { droppedMessages: dropped };
  }

  shift(): QueuedFrame | undefined {
    const frame = this.items[this.head];
    if (frame === undefined) return undefined;
    this.items[this.head++] = undefined as unknown as QueuedFrame;
    this.messageCount -= frame.count;
    this.byteCount -= frame.payload.byteLength;
    // Compact now and then so a long-lived queue does not keep a long dead prefix.
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  /** Empties the queue; returns how many messages it held. */
  clear(): number {
    const n = this.messageCount;
    this.items = [];
    this.head = 0;
    this.messageCount = 0;
    this.byteCount = 0;
    return n;
  }
}
