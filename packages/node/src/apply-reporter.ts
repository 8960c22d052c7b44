// Telling others how far this node has applied: a follower reports its applied
// index to the leader (the leader's state-latency metric per follower), at
// most every applyReportMs; and kv's watchers get their progress tick every
// progressNotifyMs.
import type { KvStateMachine } from '@flotilla/kv';
import { NONE, type NodeId } from '@flotilla/raft';
import type { CoreView } from './core-view.js';
import type { ResolvedOptions } from './options.js';

export interface ApplyReporterParams {
  readonly core: CoreView;
  readonly kv: KvStateMachine;
  readonly options: Pick<ResolvedOptions, 'applyReportMs' | 'progressNotifyMs'>;
  /** Sends the report over the node channel. */
  readonly sendApplied: (to: NodeId, index: number, ageMs: number) => void;
  readonly nowMs: number;
}

export class ApplyReporter {
  private readonly p: ApplyReporterParams;
  private lastReportMs = -Infinity;
  /** An apply was not reported (too soon after the last report): the next tick reports it. */
  private reportDirty = false;
  private lastProgressNotifyMs: number;

  constructor(params: ApplyReporterParams) {
    this.p = params;
    this.lastProgressNotifyMs = params.nowMs;
  }

  /** A new leader hears this follower's next apply at once. */
  leaderChanged(): void {
    this.lastReportMs = -Infinity;
  }

  /** Work driven by elapsed time: an apply held back, and the watchers' progress tick. */
  onTime(now: number): void {
    if (this.reportDirty) this.report(now);
    if (now - this.lastProgressNotifyMs >= this.p.options.progressNotifyMs) {
      this.lastProgressNotifyMs = now;
      this.p.kv.progressTick();
    }
  }

  /** Tells the leader how far this follower has applied (state latency), at most every applyReportMs. */
  report(now: number): void {
    const core = this.p.core;
    if (core.leader === NONE || core.role === 'leader') {
      this.reportDirty = false;
      return;
    }
    if (now - this.lastReportMs < this.p.options.applyReportMs) {
      this.reportDirty = true;
      return;
    }
    this.reportDirty = false;
    this.lastReportMs = now;
    this.p.sendApplied(core.leader, core.appliedIndex, now - core.appliedAtMs);
  }
}
