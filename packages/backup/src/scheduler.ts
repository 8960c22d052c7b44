// Scheduled backups: every intervalMs a backup is written to `dir`, verified
// by a real restore (verifyBackup), and old ones pruned to retainCount. The
// age of the newest VERIFIED backup is the recovery point objective of the
// backup path: status() and prometheusText() expose it for alerting.
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FlotillaNode } from '@flotilla/node';
import { systemClock, type Clock, type TimerHandle } from '@flotilla/transport';
import { BackupOptionsError } from './errors.js';
import type { BackupManifest } from './format.js';
import { saveBackup } from './save.js';
import type { BackupSource } from './source.js';
import { verifyBackup, type BackupVerdict, type VerifyOptions } from './verify.js';

export interface BackupSchedulerOptions {
  readonly source: FlotillaNode | BackupSource;
  /** Where backups go (it must exist). The scheduler owns files named `<prefix>-….fbk` in it. */
  readonly dir: string;
  readonly intervalMs: number;
  /** Verified backups kept; older ones are deleted. Also the number of failed ones kept (as .failed) for inspection. */
  readonly retainCount: number;
  /** Verify each backup after writing it (default true). Without it, "verified" means "written". */
  readonly verify?: boolean;
  readonly verifyOptions?: VerifyOptions;
  /** Timers (default the system clock). */
  readonly clock?: Clock;
  /** Wall-clock time, ms since the epoch (default Date.now): file names and ages. */
  readonly nowMs?: () => number;
  /** File name prefix (default "flotilla-backup"). */
  readonly prefix?: string;
  /** Called after every run, good or bad (logging, metrics). */
  readonly onRun?: (run: BackupRun) => void;
}

export interface BackupRun {
  readonly file: string;
  readonly ok: boolean;
  readonly manifest?: BackupManifest;
  readonly verdict?: BackupVerdict;
  /** Why the run failed (a save error or a FAILED verdict's line). */
  readonly error?: string;
  readonly durationMs: number;
}

export interface NewestVerified {
  readonly file: string;
  readonly createdAtMs: number;
  readonly revision: number;
  readonly appliedIndex: number;
  readonly keyCount: number;
}

export interface BackupSchedulerStatus {
  readonly running: boolean;
  readonly runs: number;
  readonly failures: number;
  readonly lastRun: BackupRun | undefined;
  readonly newestVerified: NewestVerified | undefined;
  /** now − newestVerified.createdAtMs: the data a restore from the backup path would lose. Undefined: none yet. */
  readonly newestVerifiedAgeMs: number | undefined;
}

const SUFFIX = '.fbk';
const FAILED = '.failed';

export class BackupScheduler {
  private readonly clock: Clock;
  private readonly nowMs: () => number;
  private readonly prefix: string;
  private timer: TimerHandle | undefined;
  private started = false;
  private inFlight: Promise<BackupRun> | undefined;
  private runs = 0;
  private failures = 0;
  private lastRun: BackupRun | undefined;
  private newest: NewestVerified | undefined;
  private seq = 0;

  constructor(private readonly o: BackupSchedulerOptions) {
    if (!(Number.isFinite(o.intervalMs) && o.intervalMs > 0))
      throw new BackupOptionsError(
        `intervalMs must be a positive number of ms, got ${o.intervalMs}`,
      );
    if (!(Number.isSafeInteger(o.retainCount) && o.retainCount >= 1))
      throw new BackupOptionsError(`retainCount must be an integer ≥ 1, got ${o.retainCount}`);
    this.clock = o.clock ?? systemClock;
    this.nowMs = o.nowMs ?? Date.now;
    this.prefix = o.prefix ?? 'flotilla-backup';
    if (!/^[A-Za-z0-9._-]+$/.test(this.prefix))
      throw new BackupOptionsError(
        `prefix "${this.prefix}" must be letters, digits, ".", "_" or "-"`,
      );
  }

  /** Starts the schedule: the first backup after intervalMs (call runNow() for one at once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.arm(this.o.intervalMs);
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Takes (and verifies) a backup now; a run already in progress is joined, not doubled. */
  runNow(): Promise<BackupRun> {
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  status(): BackupSchedulerStatus {
    return {
      running: this.inFlight !== undefined,
      runs: this.runs,
      failures: this.failures,
      lastRun: this.lastRun,
      newestVerified: this.newest,
      newestVerifiedAgeMs:
        this.newest === undefined ? undefined : Math.max(0, this.nowMs() - this.newest.createdAtMs),
    };
  }

  /** Prometheus text exposition of the backup path's health. */
  prometheusText(): string {
    const s = this.status();
    const age = s.newestVerifiedAgeMs === undefined ? '+Inf' : String(s.newestVerifiedAgeMs / 1000);
    return [
      "# HELP flotilla_backup_newest_verified_age_seconds Age of the newest verified backup (the backup path's RPO); +Inf if none.",
      '# TYPE flotilla_backup_newest_verified_age_seconds gauge',
      `flotilla_backup_newest_verified_age_seconds ${age}`,
      '# HELP flotilla_backup_runs_total Scheduled backup runs.',
      '# TYPE flotilla_backup_runs_total counter',
      `flotilla_backup_runs_total ${s.runs}`,
      '# HELP flotilla_backup_failures_total Backup runs that failed to save or to verify.',
      '# TYPE flotilla_backup_failures_total counter',
      `flotilla_backup_failures_total ${s.failures}`,
      '',
    ].join('\n');
  }

  private arm(delayMs: number): void {
    if (!this.started) return;
    this.timer = this.clock.setTimer(delayMs, () => {
      this.timer = undefined;
      const began = this.clock.now();
      void this.runNow().finally(() =>
        this.arm(Math.max(0, this.o.intervalMs - (this.clock.now() - began))),
      );
    });
  }

  private async run(): Promise<BackupRun> {
    const started = performance.now();
    const file = path.join(
      this.o.dir,
      `${this.prefix}-${stamp(this.nowMs())}-${String(this.seq++).padStart(4, '0')}${SUFFIX}`,
    );
    let run: BackupRun;
    try {
      // The directory may not exist yet (first run) or may have been removed by an operator.
      await mkdir(this.o.dir, { recursive: true });
      const saved = await saveBackup(this.o.source, file, { nowMs: this.nowMs });
      const verdict =
        this.o.verify === false ? undefined : await verifyBackup(file, this.o.verifyOptions);
      if (verdict !== undefined && !verdict.ok) {
        await rename(file, file + FAILED);
        run = {
          file: file + FAILED,
          ok: false,
          manifest: saved.manifest,
          verdict,
          error: verdict.line,
          durationMs: performance.now() - started,
        };
      } else {
        const m = saved.manifest;
        this.newest = {
          file,
          createdAtMs: m.createdAtMs,
          revision: m.revision,
          appliedIndex: m.appliedIndex,
          keyCount: m.keyCount,
        };
        run = {
          file,
          ok: true,
          manifest: m,
          ...(verdict !== undefined ? { verdict } : {}),
          durationMs: performance.now() - started,
        };
      }
    } catch (err) {
      run = {
        file,
        ok: false,
        error: `${(err as Error).name}: ${(err as Error).message}`,
        durationMs: performance.now() - started,
      };
    }
    this.runs++;
    if (!run.ok) this.failures++;
    this.lastRun = run;
    await this.prune();
    this.o.onRun?.(run);
    return run;
  }

  /** Keeps the newest retainCount good files and as many failed ones. */
  private async prune(): Promise<void> {
    const listed = await readdir(this.o.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[]; // nothing there to prune
      throw err;
    });
    const names = listed.filter((n) => n.startsWith(`${this.prefix}-`)).sort();
    const good = names.filter((n) => n.endsWith(SUFFIX));
    const bad = names.filter((n) => n.endsWith(SUFFIX + FAILED));
    for (const n of [...good.slice(0, -this.o.retainCount), ...bad.slice(0, -this.o.retainCount)]) {
      await rm(path.join(this.o.dir, n), { force: true });
    }
  }
}

/** 20261128T101500123Z: sorts as time, valid in file names everywhere. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('.', '');
}
