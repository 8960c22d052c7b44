// The live status table: one row per member, from each member's own
// /flotilla/status. On a TTY it redraws in place; otherwise it is printed
// as plain text when asked.
import { renderTable } from '../cli/table.js';
import type { StatusReport } from '../http/report.js';
import { status } from './probe.js';

export interface TableMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly running: boolean;
}

export async function statusTable(
  members: readonly TableMember[],
  names: ReadonlyMap<number, string>,
): Promise<string> {
  const reports = await Promise.all(
    members.map((m) => (m.running ? status(m.clientUrl, 500) : Promise.resolve(undefined))),
  );
  const leader = reports.find((r) => r && r.role === 'leader');
  const rows = members.map((m, i) => {
    const r: StatusReport | undefined = reports[i];
    if (!r) return [m.name, m.running ? 'starting' : 'DOWN', '', '', '', '', '', ''];
    const id = r.memberId;
    const latency = leader?.stateLatency[String(id)];
    return [
      m.name,
      r.role,
      String(r.term),
      names.get(r.leaderId) ?? (r.leaderId ? String(r.leaderId) : '-'),
      String(r.commitIndex),
      String(r.appliedIndex),
      String(r.revision),
      r.role === 'leader'
        ? '(leader)'
        : latency
          ? `${latency.p50Ms.toFixed(2)} / ${latency.p99Ms.toFixed(2)} ms`
          : '-',
    ];
  });
  return renderTable(
    [
      'MEMBER',
      'ROLE',
      'TERM',
      'LEADER',
      'COMMIT',
      'APPLIED',
      'REVISION',
      'STATE LATENCY p50 / p99',
    ],
    rows,
  );
}

/** Redraws the table in place on a TTY every `intervalMs`; a no-op elsewhere. */
export class LiveTable {
  private timer: NodeJS.Timeout | undefined;
  private lines = 0;
  private drawing = false;

  constructor(
    private readonly render: () => Promise<string>,
    private readonly tty: boolean,
    private readonly intervalMs = 300,
  ) {}

  start(): void {
    if (!this.tty || this.timer) return;
    this.timer = setInterval(() => void this.draw(), this.intervalMs);
  }

  private async draw(): Promise<void> {
    if (this.drawing) return;
    this.drawing = true;
    try {
      const text = await this.render();
      if (!this.timer) return;
      if (this.lines > 0) process.stdout.write(`\x1b[${this.lines}A\x1b[0J`);
      process.stdout.write(`${text}\n`);
      this.lines = text.split('\n').length;
    } finally {
      this.drawing = false;
    }
  }

  /** Stops redrawing and erases the live table; the caller prints the final state as plain text. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.lines > 0) process.stdout.write(`\x1b[${this.lines}A\x1b[0J`);
    this.lines = 0;
  }
}
