// InstallSnapshot, follower side: chunks of one transfer are checked for
// order, hashed, and streamed into the snapshot store through a bounded queue
// (acknowledged as the store takes them). On the last chunk the SHA-256 is
// compared; only a complete, verified, durably stored snapshot is handed to
// the Raft core (as a snapshot message), which then asks the driver to
// persist and install it through a Ready.
import { createHash, type Hash } from 'node:crypto';
import type { NodeId, SnapshotMeta } from '@flotilla/raft';
import type { SnapshotStore } from '@flotilla/storage';
import { ChunkQueue } from './chunk-queue.js';
import type { NodeWire } from './wire.js';

type SnapChunk = Extract<NodeWire, { k: 'snap' }>;

export interface ReceiverDeps {
  readonly snapshots: SnapshotStore;
  send(to: NodeId, body: NodeWire): void;
  /** A verified snapshot is stored: step it into the core. */
  stored(from: NodeId, term: number, meta: SnapshotMeta): void;
  now(): number;
  readonly bytesMax: number;
  /** Bytes that may wait in the queue for the store (the sender's window). */
  readonly queueBytesMax: number;
  readonly timeoutMs: number;
}

interface Incoming {
  readonly from: NodeId;
  readonly xfer: number;
  readonly term: number;
  readonly meta: SnapshotMeta;
  readonly queue: ChunkQueue;
  readonly hash: Hash;
  nextSeq: number;
  bytes: number;
  lastProgressMs: number;
  finished: boolean;
}

export class SnapshotReceiver {
  private current: Incoming | undefined;

  constructor(private readonly deps: ReceiverDeps) {}

  chunk(from: NodeId, c: SnapChunk): void {
    let cur = this.current;
    if (cur === undefined || cur.from !== from || cur.xfer !== c.xfer) {
      if (c.seq !== 0) return this.refuse(from, c, 'no transfer in progress with that id');
      // A new transfer replaces an unfinished one (the leader changed or restarted it).
      this.abort('replaced by a newer transfer');
      cur = this.begin(from, c);
    }
    // A duplicate (the network may repeat a message) is harmless; a gap means a chunk was lost.
    if (cur.finished || c.seq < cur.nextSeq) return;
    if (c.seq !== cur.nextSeq)
      return this.fail(cur, `chunk ${c.seq} out of order, expected ${cur.nextSeq}`);
    cur.nextSeq++;
    cur.bytes += c.data.byteLength;
    cur.lastProgressMs = this.deps.now();
    if (cur.bytes > this.deps.bytesMax)
      return this.fail(cur, `snapshot larger than snapshotBytesMax (${this.deps.bytesMax})`);
    cur.hash.update(c.data);
    if (!cur.queue.push(c.data)) return this.fail(cur, 'sender ran ahead of its window');
    if (c.digest === undefined) return;
    cur.finished = true;
    const digest = cur.hash.digest();
    if (Buffer.compare(digest, c.digest) !== 0)
      return this.fail(cur, 'SHA-256 mismatch: the snapshot was damaged in transit');
    cur.queue.end();
  }

  /** Abandons a transfer that made no progress for timeoutMs. */
  sweep(nowMs: number): void {
    const cur = this.current;
    if (cur !== undefined && !cur.finished && nowMs - cur.lastProgressMs >= this.deps.timeoutMs)
      this.fail(cur, 'timed out');
  }

  abort(reason: string): void {
    const cur = this.current;
    if (cur !== undefined) this.fail(cur, reason);
  }

  private begin(from: NodeId, c: SnapChunk): Incoming {
    const cur: Incoming = {
      from,
      xfer: c.xfer,
      term: c.term,
      meta: c.meta,
      nextSeq: 0,
      bytes: 0,
      finished: false,
      lastProgressMs: this.deps.now(),
      hash: createHash('sha256'),
      queue: new ChunkQueue(this.deps.queueBytesMax, (position) => {
        if (this.current === cur)
          this.deps.send(from, {
            k: 'snapAck',
            xfer: c.xfer,
            seq: position,
            ok: true,
            done: false,
          });
      }),
    };
    this.current = cur;
    this.deps.snapshots.create(c.meta, cur.queue).then(
      () => {
        if (this.current !== cur) return;
        this.current = undefined;
        this.deps.stored(from, cur.term, cur.meta);
        this.deps.send(from, {
          k: 'snapAck',
          xfer: cur.xfer,
          seq: cur.nextSeq - 1,
          ok: true,
          done: true,
        });
      },
      (err: unknown) => {
        if (this.current === cur) this.fail(cur, `could not store it: ${(err as Error).message}`);
      },
    );
    return cur;
  }

  private fail(cur: Incoming, reason: string): void {
    cur.queue.fail(
      new Error(`snapshot transfer ${cur.xfer} from ${cur.from} abandoned: ${reason}`),
    );
    if (this.current === cur) this.current = undefined;
    this.deps.send(cur.from, {
      k: 'snapAck',
      xfer: cur.xfer,
      seq: cur.nextSeq,
      ok: false,
      done: true,
      reason,
    });
  }

  private refuse(from: NodeId, c: SnapChunk, reason: string): void {
    this.deps.send(from, { k: 'snapAck', xfer: c.xfer, seq: c.seq, ok: false, done: true, reason });
  }
}
