// Scheduled backups on virtual time: interval, verify-after-write, retention,
// failures, and the age of the newest verified backup (the backup path's RPO).
import { readdir } from 'node:fs/promises';
import { bytes } from '@flotilla/kv';
import { VirtualClock } from '@flotilla/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupOptionsError,
  BackupScheduler,
  type BackupRun,
  type BackupSource,
} from '../src/index.js';
import { applyCommands, richKv, source, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir('flotilla-sched-')));
afterAll(() => cleanup());

const START_MS = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

describe('BackupScheduler', () => {
  it('creates a backup directory that does not exist yet instead of failing', async () => {
    const kv = await richKv(5);
    const clock = new VirtualClock({ startMs: START_MS });
    const missing = `${dir}/not-yet/created`;
    const s = new BackupScheduler({
      source: source(kv),
      dir: missing,
      intervalMs: MINUTE,
      retainCount: 1,
      clock,
      nowMs: () => clock.now(),
      verifyOptions: { scratch: 'memory' },
    });
    const run = await s.runNow();
    expect(run).toMatchObject({ ok: true });
    expect((await readdir(missing)).filter((n) => !n.startsWith('.'))).toHaveLength(1);
  });

  it('backs up every interval, verifies each, keeps retainCount, and reports the age of the newest verified one', async () => {
    const kv = await richKv(80);
    // A source that, when told to, hands out a snapshot with one damaged byte (a bad disk under the node).
    let damage = false;
    const honest = source(kv);
    const src: BackupSource = {
      ...honest,
      snapshot: async () => {
        const snap = await honest.snapshot();
        if (!damage) return snap;
        async function* damaged(): AsyncGenerator<Uint8Array> {
          let n = 0;
          for await (const c of snap.chunks) {
            const copy = new Uint8Array(c);
            if (n++ === 1) copy[copy.byteLength - 1]! ^= 0x01; // the last byte of the first data chunk: inside a value
            yield copy;
          }
        }
        return { ...snap, chunks: damaged() };
      },
    };
    const clock = new VirtualClock({ startMs: START_MS });
    const runs: BackupRun[] = [];
    const s = new BackupScheduler({
      source: src,
      dir,
      intervalMs: MINUTE,
      retainCount: 2,
      clock,
      nowMs: () => clock.now(),
      verifyOptions: { scratch: 'memory' },
      onRun: (r) => runs.push(r),
    });
    s.start();
    expect(s.status().newestVerifiedAgeMs).toBeUndefined();
    expect(s.prometheusText()).toContain('flotilla_backup_newest_verified_age_seconds +Inf');

    const tick = async (ms: number): Promise<void> => {
      clock.advance(ms);
      if (s.status().running) await s.runNow(); // joins the run the timer started
    };
    await tick(MINUTE - 1);
    expect(runs).toHaveLength(0);
    await tick(1);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ ok: true, verdict: { ok: true } });
    expect(s.status().newestVerified).toMatchObject({
      createdAtMs: START_MS + MINUTE,
      revision: kv.revision,
    });
    await tick(MINUTE / 2);
    expect(s.status().newestVerifiedAgeMs).toBe(MINUTE / 2);
    expect(s.prometheusText()).toContain('flotilla_backup_newest_verified_age_seconds 30\n');

    for (let i = 0; i < 3; i++) {
      await applyCommands(kv, [
        { op: 'put', request: { key: bytes(`more/${i}`), value: bytes('x') } },
      ]);
      await tick(MINUTE / 2);
      await tick(MINUTE / 2);
    }
    expect(runs.map((r) => r.ok)).toEqual([true, true, true, true]);
    const kept = (await readdir(dir)).filter((n) => n.endsWith('.fbk')).sort();
    expect(kept).toEqual(
      runs
        .slice(-2)
        .map((r) => r.file.split('/').pop())
        .sort(),
    );
    expect(s.status().newestVerified?.revision).toBe(kv.revision);

    // A backup that does not verify is kept aside, counted, and does not reset the age.
    damage = true;
    const newest = s.status().newestVerified;
    await tick(MINUTE / 2); // the fifth run is due: one interval after the fourth

    expect(runs.at(-1)).toMatchObject({ ok: false, verdict: { ok: false, kind: 'corrupt' } });
    expect(runs.at(-1)!.file.endsWith('.fbk.failed')).toBe(true);
    expect(s.status()).toMatchObject({ runs: 5, failures: 1, newestVerified: newest });
    expect(s.status().newestVerifiedAgeMs).toBe(MINUTE); // the fourth backup's age: the failed fifth does not count
    expect(s.prometheusText()).toContain('flotilla_backup_failures_total 1');
    expect((await readdir(dir)).filter((n) => n.endsWith('.fbk'))).toHaveLength(2);

    await s.stop();
    expect(clock.pendingTimers()).toBe(0);
    await kv.close();
  });

  it('runs never overlap: a second runNow joins the first', async () => {
    const kv = await richKv(10);
    const s = new BackupScheduler({
      source: source(kv),
      dir,
      intervalMs: MINUTE,
      retainCount: 1,
      prefix: 'overlap',
      clock: new VirtualClock(),
      verifyOptions: { scratch: 'memory' },
    });
    const a = s.runNow();
    const b = s.runNow();
    expect(b).toBe(a);
    await a;
    expect(s.status().runs).toBe(1);
    await kv.close();
  });

  it('refuses a zero interval, a retention below one and a prefix with a slash', () => {
    const base = { source: {} as BackupSource, dir, intervalMs: MINUTE, retainCount: 1 };
    expect(() => new BackupScheduler({ ...base, intervalMs: 0 })).toThrow(BackupOptionsError);
    expect(() => new BackupScheduler({ ...base, retainCount: 0 })).toThrow(BackupOptionsError);
    expect(() => new BackupScheduler({ ...base, prefix: '../x' })).toThrow(BackupOptionsError);
  });
});
