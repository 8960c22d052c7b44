// The watch hub. A watcher is either catching up (replaying history from
// LevelDB, paced by its consumer) or synced (fed from each applied batch as
// it is published). The hand-over is race-free because both sides are bounded
// by `deliveredRevision`, which moves only in publish(), synchronously with
// the fan-out. Guarantees: ordered, unique, atomic (a revision's events are
// never split across responses), no gaps, resumable, and an explicit
// compacted signal when the start revision is gone.

import { toKeyStr } from './bytes.js';
import { inSpan, parseRevKey, revKey, decodeChange, spanOf } from './layout.js';
import type { KvState } from './store.js';
import type { Event, KeyValue, WatchRequest, WatchResponse } from './types.js';
import { Watcher } from './watcher.js';
import type { RawEvent } from './write-txn.js';

const EMPTY = new Uint8Array(0);

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private prevKvWatchers = 0;
  private nextId = 1;
  /** Every event up to here has been offered to synced watchers (or is in storage for catching-up ones). */
  deliveredRevision: number;

  constructor(private readonly state: KvState) {
    this.deliveredRevision = state.revision;
  }

  get size(): number {
    return this.watchers.size;
  }

  wantsPrevKv(): boolean {
    return this.prevKvWatchers > 0;
  }

  watch(req: WatchRequest): Watcher {
    const start = req.startRevision || this.state.revision + 1;
    const w = new Watcher(
      this.nextId++,
      req,
      spanOf(req.key, req.rangeEnd),
      start,
      this.state.limits.watchBufferEventsMax,
      (x) => this.forget(x),
    );
    this.watchers.add(w);
    if (req.prevKv) this.prevKvWatchers++;
    void this.catchUp(w);
    return w;
  }

  private forget(w: Watcher): void {
    if (this.watchers.delete(w) && w.request.prevKv) this.prevKvWatchers--;
  }

  /** Fans out one applied batch (already durable). `withPrevKv`: events carry prevKv. */
  publish(events: RawEvent[], revision: number, withPrevKv: boolean): void {
    for (const w of this.watchers) {
      if (w.state !== 'synced') continue;
      const matching = events.filter((e) => this.matches(w, e));
      if (matching.length > 0 && w.request.prevKv && !withPrevKv) {
        // Applied before this watcher asked for prevKv: replay this batch from storage.
        w.state = 'catchingUp';
        continue;
      }
      if (
        matching.length > 0 &&
        !w.offer({ revision, events: matching.map((e) => toEvent(e, w.request.prevKv === true)) })
      ) {
        w.finish({
          revision,
          events: [],
          cancelReason: `slow watcher: more than ${this.state.limits.watchBufferEventsMax} events waiting for the consumer (watchBufferEventsMax); resume with startRevision ${w.nextRevision}`,
        });
        continue;
      }
      w.nextRevision = Math.max(w.nextRevision, revision + 1);
    }
    this.deliveredRevision = revision;
    for (const w of this.watchers) if (w.state === 'catchingUp') void this.catchUp(w);
  }

  private matches(w: Watcher, e: RawEvent): boolean {
    if (e.main < w.nextRevision || !inSpan(e.keyStr, w.span)) return false;
    const filters = w.request.filters;
    if (filters?.includes(e.kv ? 'NOPUT' : 'NODELETE')) return false;
    return true;
  }

  requestProgress(): void {
    for (const w of this.watchers) {
      if (w.state === 'synced') this.progress(w);
      else w.progressPending = true;
    }
  }

  /** Periodic progress for progressNotify watchers that had no events since the last tick. */
  progressTick(): void {
    for (const w of this.watchers) {
      if (w.request.progressNotify && w.state === 'synced' && !w.sentSinceTick) this.progress(w);
      w.sentSinceTick = false;
    }
  }

  private progress(w: Watcher): void {
    w.progressPending = false;
    if (!w.offer({ revision: this.deliveredRevision, events: [] })) {
      w.finish({
        revision: this.deliveredRevision,
        events: [],
        cancelReason: `slow watcher: buffer full (watchBufferEventsMax); resume with startRevision ${w.nextRevision}`,
      });
    }
  }

  cancelAll(reason: string): void {
    for (const w of [...this.watchers])
      w.finish({ revision: this.state.revision, events: [], cancelReason: reason });
  }

  private catchingUp = new Set<Watcher>();

  /** Replays history from storage until the watcher reaches deliveredRevision. */
  private async catchUp(w: Watcher): Promise<void> {
    if (this.catchingUp.has(w)) return;
    this.catchingUp.add(w);
    try {
      while (!w.closed) {
        const compactRevision = this.state.compactRevision;
        if (w.nextRevision <= compactRevision) {
          w.finish({
            revision: this.state.revision,
            events: [],
            compactRevision,
            cancelReason: `start revision ${w.nextRevision} has been compacted (compactRevision ${compactRevision}); watch again from a newer revision`,
          });
          return;
        }
        if (w.nextRevision > this.deliveredRevision) {
          w.state = 'synced';
          if (w.progressPending) this.progress(w);
          return;
        }
        if (w.buffered * 2 > this.state.limits.watchBufferEventsMax) {
          await w.drained();
          continue;
        }
        await this.replayPage(w);
      }
    } catch (err) {
      w.finish({
        revision: this.state.revision,
        events: [],
        cancelReason: `watch failed reading history: ${(err as Error).message}`,
      });
    } finally {
      this.catchingUp.delete(w);
    }
  }

  private async replayPage(w: Watcher): Promise<void> {
    const from = w.nextRevision;
    const to = this.deliveredRevision;
    const page = await this.readHistory(w, from, to);
    // A compaction during the read may have dropped prevKv records; the loop reports it.
    if (w.closed || this.state.compactRevision >= from) return;
    if (page.events.length > 0 && !w.offer({ revision: to, events: page.events })) {
      w.finish({
        revision: to,
        events: [],
        cancelReason: `slow watcher: buffer full (watchBufferEventsMax); resume with startRevision ${from}`,
      });
      return;
    }
    w.nextRevision = page.nextRevision;
  }

  /** Events in [from, to] for `w`, at least readPageKeys records unless the end is reached, whole revisions only. */
  private async readHistory(
    w: Watcher,
    from: number,
    to: number,
  ): Promise<{ events: Event[]; nextRevision: number }> {
    const pageKeys = this.state.limits.readPageKeys;
    const it = this.state.gen.iterator({ gte: revKey(from, 0), lt: revKey(to + 1, 0) });
    const raw: RawEvent[] = [];
    let nextRevision = to + 1;
    let lastMain = -1;
    let read = 0;
    try {
      outer: for (;;) {
        const entries = await it.nextv(pageKeys);
        if (entries.length === 0) break;
        for (const [k, v] of entries) {
          const pos = parseRevKey(k);
          if (read >= pageKeys && pos.main !== lastMain) {
            nextRevision = pos.main;
            break outer;
          }
          read++;
          lastMain = pos.main;
          const rec = decodeChange(pos, v);
          const e: RawEvent = {
            main: pos.main,
            sub: pos.sub,
            keyStr: toKeyStr(rec.key),
            key: rec.key,
            kv: rec.kv,
          };
          if (this.matches(w, e)) raw.push(e);
        }
      }
    } finally {
      await it.close();
    }
    if (w.request.prevKv) await this.resolvePrevKvs(raw);
    return { events: raw.map((e) => toEvent(e, w.request.prevKv === true)), nextRevision };
  }

  private async resolvePrevKvs(events: RawEvent[]): Promise<void> {
    const wanted: { e: RawEvent; main: number; sub: number }[] = [];
    for (const e of events) {
      const pos = this.state.index.get(e.keyStr)?.before(e.main, e.sub);
      if (pos) wanted.push({ e, ...pos });
    }
    const view = this.state.openRead();
    try {
      const records = await view.loadChanges(wanted);
      records.forEach((r, i) => {
        if (r?.kv) wanted[i]!.e.prevKv = r.kv;
      });
    } finally {
      await view.close();
    }
  }
}

function toEvent(e: RawEvent, withPrevKv: boolean): Event {
  const kv: KeyValue = e.kv ?? {
    key: e.key,
    value: EMPTY,
    createRevision: 0,
    modRevision: e.main,
    version: 0,
    lease: 0,
  };
  const event: Event = { type: e.kv ? 'PUT' : 'DELETE', kv };
  if (withPrevKv && e.prevKv) event.prevKv = e.prevKv;
  return event;
}
