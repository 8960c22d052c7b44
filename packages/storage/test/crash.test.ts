// kill -9 against the real LevelDB store: every index and hard state the
// child acknowledged (after its synced write resolved) must be there, intact
// and without holes, when the directory is reopened.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt, seededRng } from '@flotilla/raft';
import { openLevelStorage } from '../src/index.js';
import { spawnFixture } from './fixtures/child.js';
import { entry, tempDir } from './helpers.js';

const KILLS = 22;
const WAIT_MS_MAX = 15_000;
const seed = Number(process.env.FLOTILLA_SEED ?? Date.now() % 2 ** 31);

interface Acks {
  ready: boolean;
  /** Acknowledged batches: last index of the batch → its term. */
  entries: Map<number, number>;
  lastIndex: number;
  hardTerm: number;
  count: number;
}

/** Follows the child's stdout; `until` resolves once the predicate holds (bounded by WAIT_MS_MAX). */
function follow(child: ChildProcessWithoutNullStreams): {
  acks: Acks;
  until: (p: (a: Acks) => boolean) => Promise<void>;
} {
  const acks: Acks = { ready: false, entries: new Map(), lastIndex: 0, hardTerm: 0, count: 0 };
  let buffered = '';
  let waiter: (() => void) | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'ready') acks.ready = true;
      if (kind === 'e') {
        acks.entries.set(Number(a), Number(b));
        acks.lastIndex = Math.max(acks.lastIndex, Number(a));
        acks.hardTerm = Math.max(acks.hardTerm, Number(b));
        acks.count++;
      }
      if (kind === 'h') {
        acks.hardTerm = Math.max(acks.hardTerm, Number(a));
        acks.count++;
      }
    }
    waiter?.();
  });
  const until = (p: (a: Acks) => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`child made no progress within ${WAIT_MS_MAX} ms`)),
        WAIT_MS_MAX,
      );
      const check = (): void => {
        if (!p(acks)) return;
        clearTimeout(timer);
        waiter = undefined;
        resolve();
      };
      waiter = check;
      check();
    });
  return { acks, until };
}

describe('crash safety of LevelStorage under SIGKILL', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir('crash');
  });
  afterAll(async () => {
    await tmp.remove();
  });

  it(`keeps every acknowledged entry and hard state across ${KILLS} kills`, async () => {
    const rng = seededRng(seed);
    const everAcked = new Map<number, number>();
    let hardTermAcked = 0;
    let totalAcks = 0;
    for (let run = 0; run < KILLS; run++) {
      const child = spawnFixture('crash-writer.ts', [tmp.dir]);
      const stderr: string[] = [];
      child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      const { acks, until } = follow(child);
      if (randomInt(rng, 0, 4) === 0) {
        // Sometimes kill during startup or recovery, before anything new is acknowledged.
        await new Promise((r) => setTimeout(r, randomInt(rng, 0, 400)));
      } else {
        const target = randomInt(rng, 0, 40);
        await until((a) => a.ready && a.count >= target).catch((err: Error) => {
          throw new Error(`${err.message} (seed ${seed}, run ${run}); stderr: ${stderr.join('')}`);
        });
        if (randomInt(rng, 0, 1) === 1) await new Promise((r) => setImmediate(r));
      }
      child.kill('SIGKILL');
      await exited;
      for (const [last, term] of acks.entries) everAcked.set(last, term);
      hardTermAcked = Math.max(hardTermAcked, acks.hardTerm);
      totalAcks += acks.count;

      const storage = await openLevelStorage({ dir: tmp.dir, clusterId: 'crash', nodeId: 1 });
      try {
        const loaded = await storage.load();
        const where = `seed ${seed}, run ${run}`;
        expect(loaded.lastIndex, where).toBeGreaterThanOrEqual(Math.max(0, ...everAcked.keys()));
        expect(loaded.hardState.term, where).toBeGreaterThanOrEqual(hardTermAcked);
        expect(loaded.entries.length, `no hole (${where})`).toBe(loaded.lastIndex);
        loaded.entries.forEach((e, i) => {
          expect(e.index, where).toBe(i + 1);
          expect(e, `entry ${e.index} intact (${where})`).toEqual(entry(e.index, e.term, 32));
        });
        for (const [last, term] of everAcked)
          expect(loaded.entries[last - 1]?.term, `entry ${last} (${where})`).toBe(term);
      } finally {
        await storage.close();
      }
    }
    // Guard against a vacuous pass: the child must actually have acknowledged writes.
    expect(totalAcks).toBeGreaterThan(KILLS);
  });
});
