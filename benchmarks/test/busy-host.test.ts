import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FlagError, parseBusyHostFlags } from '../node/busy-host-flags.js';
import type { MemberReport } from '../node/busy-host-protocol.js';
import { renderTable, summarizePhase, type PhaseRow } from '../node/busy-host-summary.js';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function report(id: number, over: Partial<MemberReport> = {}): MemberReport {
  return {
    id,
    pid: 1000 + id,
    issued: 3,
    committed: 3,
    failedByName: {},
    unsettled: 0,
    latenciesMs: [1, 2, 3],
    start: { term: 2, leader: 1 },
    leadersSeen: [],
    termEnd: 2,
    leaderChangesMetric: 0,
    blocks: 2,
    blockedMsTotal: 200,
    windowMs: 1000,
    ...over,
  };
}

describe('busy-host flags', () => {
  it('defaults to the full set of B for 25 s each, thread not passed', () => {
    expect(parseBusyHostFlags([])).toMatchObject({
      mode: 'full',
      blockMs: [0, 100, 200, 400, 1000],
      durationS: 25,
      rateHz: 50,
      thread: undefined,
    });
  });

  it('--quick is short, explicit flags win, --thread and --block take their known values only', () => {
    expect(parseBusyHostFlags(['--quick'])).toMatchObject({ blockMs: [0, 200], durationS: 5 });
    expect(
      parseBusyHostFlags(['--', '--quick', '--block-ms=0,50', '--thread', 'inline']),
    ).toMatchObject({ mode: 'quick', blockMs: [0, 50], durationS: 5, thread: 'inline' });
    expect(parseBusyHostFlags([]).blockKind).toBe('spin');
    expect(parseBusyHostFlags(['--block', 'sleep']).blockKind).toBe('sleep');
    expect(() => parseBusyHostFlags(['--block', 'nap'])).toThrow(FlagError);
    expect(() => parseBusyHostFlags(['--thread', 'fiber'])).toThrow(FlagError);
    expect(() => parseBusyHostFlags(['--block-ms', '0,-5'])).toThrow(FlagError);
    expect(() => parseBusyHostFlags(['--duration-s', '0'])).toThrow(FlagError);
    expect(() => parseBusyHostFlags(['--blocks', '5'])).toThrow(FlagError);
  });
});

describe('busy-host summary', () => {
  it('counts a leader change once however many members saw it, and sums failures by name', () => {
    const change = { term: 3, leader: 2 };
    const row = summarizePhase(100, [
      report(1, { leadersSeen: [change], termEnd: 3, leaderChangesMetric: 1 }),
      report(2, {
        leadersSeen: [change, { term: 4, leader: 3 }],
        termEnd: 4,
        issued: 5,
        failedByName: { ProposalLostError: 1 },
        unsettled: 1,
      }),
      report(3, { issued: 4, failedByName: { ProposalLostError: 1 } }),
    ]);
    expect(row.leaderChanges).toBe(2);
    expect(row.termsAdvanced).toBe(2);
    expect(row.failedByName).toEqual({ ProposalLostError: 2, unsettled: 1 });
    expect(row.failedWrites).toBe(3);
    expect(row.issued).toBe(12);
    expect(row.writes).toBe(9);
    expect(row.latencyMs.count).toBe(9);
    expect(row.members.map((m) => m.failed)).toEqual([0, 2, 1]);
    expect(row.targetMet).toBe(false);
    expect(row.missed).toEqual(['leader changes', 'failed writes']);
  });

  it('meets the target with no change, no failure and p99 within B + 20 ms; misses it above', () => {
    const quiet = (values: number[]): PhaseRow =>
      summarizePhase(
        100,
        [1, 2, 3].map((id) => report(id, { latenciesMs: values })),
      );
    expect(quiet([5, 119]).targetMet).toBe(true);
    const slow = quiet([5, 125]);
    expect(slow.targetMet).toBe(false);
    expect(slow.missed).toEqual(['p99 > 120 ms']);
  });

  it('renders one table row per B with the counts and the verdict', () => {
    const rows = [
      summarizePhase(0, [report(1)]),
      summarizePhase(200, [report(1, { issued: 4, failedByName: { NotLeaderError: 1 } })]),
    ];
    const lines = renderTable(rows).trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('leader changes');
    expect(lines[2]).toMatch(/^\| 0 \| 0 \| 0 \| 3 \| .* \| yes \|$/);
    expect(lines[3]).toContain('| 1 (NotLeaderError 1) | 3 |');
    expect(lines[3]).toContain('no (failed writes)');
  });
});

/** Runs the benchmark program; resolves with its exit code and output. */
function runBusyHost(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'benchmarks/node/busy-host.ts', ...args],
      { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('busy-host run', () => {
  it('three member processes write, block and report a well-formed result, then are gone', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flotilla-busy-host-'));
    try {
      const { code, output } = await runBusyHost([
        '--block-ms',
        '50',
        '--duration-s',
        '1.5',
        '--warmup-s',
        '0.5',
        '--results-dir',
        dir,
      ]);
      expect(code, output).toBe(0);
      const result = JSON.parse(
        await readFile(path.join(dir, 'busy-host-full-latest.json'), 'utf8'),
      );
      expect(result.failures).toEqual([]);
      expect(result.rows).toHaveLength(1);
      const row = result.rows[0] as PhaseRow;
      expect(row.blockMs).toBe(50);
      expect(row.writes).toBeGreaterThanOrEqual(1);
      expect(Number.isInteger(row.leaderChanges)).toBe(true);
      expect(row.issued).toBe(row.writes + row.failedWrites);
      expect(row.latencyMs.count).toBe(row.writes);
      expect(row.members.map((m) => m.id)).toEqual([1, 2, 3]);
      for (const m of row.members) {
        expect(m.blocks).toBeGreaterThanOrEqual(1);
        expect(alive(m.pid)).toBe(false);
      }
      const table = await readFile(path.join(dir, 'busy-host-full-table.md'), 'utf8');
      expect(table.trim().split('\n')).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
