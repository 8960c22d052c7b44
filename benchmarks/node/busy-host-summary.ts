// From the three members' reports of one phase to one row of the busy-host
// table, and the table itself. Pure: reports in, data and text out.
import { LatencyHistogram, type LatencySummary } from '../suite/histogram.js';
import type { LeaderView, MemberReport } from './busy-host-protocol.js';

/** Issue #15's target: write p99 ≤ B + this, with no leader change and no failed write. */
export const TARGET_SLACK_MS = 20;

export interface MemberSummary {
  readonly id: number;
  readonly pid: number;
  readonly issued: number;
  readonly committed: number;
  /** Issued − committed: rejected or unsettled. */
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly blocks: number;
  readonly blockedMsTotal: number;
  readonly leaderChangesMetric: number;
  readonly windowMs: number;
}

export interface PhaseRow {
  readonly blockMs: number;
  /** Distinct (term, leader) pairs any member saw after the window opened, other than the one in place then. */
  readonly leaderChanges: number;
  readonly leadersSeen: readonly LeaderView[];
  /** Highest term at the end − lowest term at the start (elections, won or not). */
  readonly termsAdvanced: number;
  /** Writes rejected or unsettled after the drain, over all members. */
  readonly failedWrites: number;
  readonly failedByName: Readonly<Record<string, number>>;
  readonly issued: number;
  /** Writes acknowledged (committed and applied), over all members. */
  readonly writes: number;
  /** Issue → resolve in the writing process, all members' writes together. */
  readonly latencyMs: LatencySummary;
  readonly targetP99Ms: number;
  readonly targetMet: boolean;
  /** Which parts of the target were missed (empty when met). */
  readonly missed: readonly string[];
  readonly members: readonly MemberSummary[];
}

const UNSETTLED = 'unsettled';

function latencyOf(values: readonly number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [name, n] of Object.entries(from)) into[name] = (into[name] ?? 0) + n;
}

export function summarizePhase(blockMs: number, reports: readonly MemberReport[]): PhaseRow {
  if (reports.length === 0) throw new RangeError('a phase needs at least one member report');
  const seen = new Map<string, LeaderView>();
  for (const r of reports) for (const v of r.leadersSeen) seen.set(`${v.term}:${v.leader}`, v);
  const failedByName: Record<string, number> = {};
  for (const r of reports) {
    addCounts(failedByName, r.failedByName);
    if (r.unsettled > 0) addCounts(failedByName, { [UNSETTLED]: r.unsettled });
  }
  const all = new LatencyHistogram();
  const members = reports.map((r): MemberSummary => {
    const h = latencyOf(r.latenciesMs);
    all.merge(h);
    const s = h.summary();
    return {
      id: r.id,
      pid: r.pid,
      issued: r.issued,
      committed: r.committed,
      failed: r.issued - r.committed,
      p50Ms: s.p50,
      p99Ms: s.p99,
      blocks: r.blocks,
      blockedMsTotal: r.blockedMsTotal,
      leaderChangesMetric: r.leaderChangesMetric,
      windowMs: r.windowMs,
    };
  });
  const latencyMs = all.summary();
  const leaderChanges = seen.size;
  const failedWrites = Object.values(failedByName).reduce((a, b) => a + b, 0);
  const writes = reports.reduce((a, r) => a + r.committed, 0);
  const targetP99Ms = blockMs + TARGET_SLACK_MS;
  const missed = [
    ...(leaderChanges > 0 ? ['leader changes'] : []),
    ...(failedWrites > 0 ? ['failed writes'] : []),
    ...(writes === 0 ? ['no write committed'] : []),
    ...(latencyMs.p99 > targetP99Ms ? [`p99 > ${targetP99Ms} ms`] : []),
  ];
  return {
    blockMs,
    leaderChanges,
    leadersSeen: [...seen.values()].sort((a, b) => a.term - b.term),
    termsAdvanced:
      Math.max(...reports.map((r) => r.termEnd)) - Math.min(...reports.map((r) => r.start.term)),
    failedWrites,
    failedByName,
    issued: reports.reduce((a, r) => a + r.issued, 0),
    writes,
    latencyMs,
    targetP99Ms,
    targetMet: missed.length === 0,
    missed,
    members,
  };
}

const num = (n: number): string => n.toLocaleString('en-US');
const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

function failedCell(row: PhaseRow): string {
  const names = Object.entries(row.failedByName)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${num(n)}`);
  return names.length === 0 ? '0' : `${num(row.failedWrites)} (${names.join(', ')})`;
}

export function renderTable(rows: readonly PhaseRow[]): string {
  const lines = [
    '| B (ms) | leader changes | failed writes | writes | p50 (ms) | p99 (ms) | target met |',
    '|---:|---:|---|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.blockMs} | ${r.leaderChanges} | ${failedCell(r)} | ${num(r.writes)} | ` +
        `${ms(r.latencyMs.p50)} | ${ms(r.latencyMs.p99)} | ` +
        `${r.targetMet ? 'yes' : `no (${r.missed.join('; ')})`} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
