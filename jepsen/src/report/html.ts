// One self-contained HTML file per run (inline SVG and CSS, no scripts, no
// network): the timeline of operations per client with the nemesis windows
// shaded, latency over time, each workload's verdict, and on failure the
// smallest failing sub-history with what each operation saw.
import type { AppliedFault } from '../nemesis/nemesis.js';
import type { TimelineOp, WorkloadVerdict } from '../workloads/workload.js';

export interface ReportInput {
  readonly title: string;
  readonly valid: boolean | 'unknown';
  readonly replay: string;
  readonly settings: Record<string, unknown>;
  readonly clientPhaseMs: number;
  readonly totalMs: number;
  readonly faults: readonly AppliedFault[];
  readonly verdicts: readonly WorkloadVerdict[];
  readonly ops: readonly TimelineOp[];
  readonly notes: readonly string[];
}

const WIDTH = 1200;
const UNKNOWN_STUB_MS = 1_000;
const LATENCY_POINTS_MAX = 15_000;
const LEFT = 110;
const LANE_PX = 14;
const COLORS = { ok: '#2e9d4f', fail: '#9a9a9a', unknown: '#e08a1e' } as const;
const FAULT_COLORS: Record<string, string> = {
  partition: '#4a78d0',
  kill: '#d04a4a',
  pause: '#9a4ad0',
};

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function faultColor(kind: string): string {
  return FAULT_COLORS[kind.split('-')[0] ?? ''] ?? '#888';
}

function timeline(input: ReportInput): string {
  const lanes = [...new Set(input.ops.map((o) => o.lane))].sort();
  const laneIndex = new Map(lanes.map((l, i) => [l, i]));
  const span = Math.max(1, input.totalMs);
  const x = (ms: number): number => LEFT + (Math.min(ms, span) / span) * (WIDTH - LEFT - 10);
  const top = 20;
  const height = top + lanes.length * LANE_PX + 20;
  const parts: string[] = [];
  for (const f of input.faults) {
    const end = Number.isFinite(f.endMs) ? f.endMs : span;
    parts.push(
      `<rect x="${x(f.startMs).toFixed(1)}" y="0" width="${Math.max(1, x(end) - x(f.startMs)).toFixed(1)}" height="${height - 10}" fill="${faultColor(f.kind)}" opacity="0.15"><title>${esc(`${f.kind} ${(f.startMs / 1000).toFixed(1)}–${(end / 1000).toFixed(1)} s: ${f.detail}`)}</title></rect>`,
    );
    // Label only windows wide enough to hold one; the tooltip names every window.
    if (x(end) - x(f.startMs) >= 40)
      parts.push(
        `<text x="${x(f.startMs).toFixed(1)}" y="12" font-size="9" fill="${faultColor(f.kind)}">${esc(f.kind.replace('partition-', 'p:'))}</text>`,
      );
  }
  parts.push(
    `<line x1="${x(input.clientPhaseMs)}" y1="0" x2="${x(input.clientPhaseMs)}" y2="${height - 10}" stroke="#000" stroke-dasharray="4 3"><title>clients stop; heal and final reads follow</title></line>`,
  );
  lanes.forEach((lane, i) => {
    parts.push(`<text x="4" y="${top + i * LANE_PX + 10}" font-size="10">${esc(lane)}</text>`);
  });
  // Successful operations closer than a pixel merge into one bar per lane, so a 10-minute run stays a few MB.
  const byLane = new Map<string, TimelineOp[]>();
  for (const o of input.ops) {
    const list = byLane.get(o.lane);
    if (list) list.push(o);
    else byLane.set(o.lane, [o]);
  }
  for (const [lane, ops] of byLane) {
    const y = top + (laneIndex.get(lane) ?? 0) * LANE_PX + 2;
    let run: { x0: number; x1: number; n: number; label: string } | undefined;
    const flush = (): void => {
      if (!run) return;
      const title = run.n === 1 ? run.label : `${run.n} successful operations`;
      parts.push(
        `<rect x="${run.x0.toFixed(1)}" y="${y}" width="${Math.max(1, run.x1 - run.x0).toFixed(1)}" height="${LANE_PX - 4}" fill="${COLORS.ok}"><title>${esc(title)}</title></rect>`,
      );
      run = undefined;
    };
    for (const o of [...ops].sort((a, b) => a.invokeMs - b.invokeMs)) {
      // An unknown operation stays open to the end in the checker; drawn to the end it would hide its lane, so it gets a fixed stub.
      const end = Number.isFinite(o.completeMs) ? o.completeMs : o.invokeMs + UNKNOWN_STUB_MS;
      const x0 = x(o.invokeMs);
      const x1 = Math.max(x0 + 1, x(end));
      if (o.outcome === 'ok') {
        if (run && x0 - run.x1 < 1) {
          run.x1 = Math.max(run.x1, x1);
          run.n++;
        } else {
          flush();
          run = { x0, x1, n: 1, label: o.label };
        }
        continue;
      }
      const open = Number.isFinite(o.completeMs) ? '' : ' opacity="0.6"';
      parts.push(
        `<rect x="${x0.toFixed(1)}" y="${y}" width="${(x1 - x0).toFixed(1)}" height="${LANE_PX - 4}" fill="${COLORS[o.outcome]}"${open}><title>${esc(o.label)}</title></rect>`,
      );
    }
    flush();
  }
  for (let s = 0; s <= span / 1000; s += Math.max(1, Math.ceil(span / 1000 / 20))) {
    parts.push(`<text x="${x(s * 1000).toFixed(1)}" y="${height - 2}" font-size="9">${s}s</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">${parts.join('')}</svg>`;
}

function latency(input: ReportInput): string {
  const all = input.ops.filter((o) => o.outcome === 'ok' && Number.isFinite(o.completeMs));
  // At most LATENCY_POINTS_MAX points (an even sample), plus every slow one.
  const stride = Math.max(1, Math.ceil(all.length / LATENCY_POINTS_MAX));
  const done = all.filter((o, i) => i % stride === 0 || o.completeMs - o.invokeMs > 100);
  const height = 220;
  const span = Math.max(1, input.totalMs);
  const maxMs = Math.max(10, ...done.map((o) => o.completeMs - o.invokeMs));
  // Log scale: most operations take milliseconds, faults stretch a few to seconds.
  const y = (ms: number): number =>
    height - 20 - (Math.log10(Math.max(1, ms)) / Math.log10(maxMs)) * (height - 40);
  const x = (ms: number): number => LEFT + (Math.min(ms, span) / span) * (WIDTH - LEFT - 10);
  const parts: string[] = [];
  for (const f of input.faults) {
    const end = Number.isFinite(f.endMs) ? f.endMs : span;
    parts.push(
      `<rect x="${x(f.startMs).toFixed(1)}" y="0" width="${Math.max(1, x(end) - x(f.startMs)).toFixed(1)}" height="${height - 20}" fill="${faultColor(f.kind)}" opacity="0.15"/>`,
    );
  }
  for (const tick of [1, 10, 100, 1_000, 10_000].filter((t) => t <= maxMs)) {
    parts.push(
      `<line x1="${LEFT}" x2="${WIDTH}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/><text x="${LEFT - 50}" y="${y(tick) + 3}" font-size="9">${tick} ms</text>`,
    );
  }
  for (const o of done)
    parts.push(
      `<circle cx="${x(o.invokeMs).toFixed(1)}" cy="${y(o.completeMs - o.invokeMs).toFixed(1)}" r="1.5" fill="#2e6fd0" opacity="0.5"/>`,
    );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">${parts.join('')}</svg>`;
}

function verdictSection(v: WorkloadVerdict): string {
  const status = v.valid === true ? 'valid' : v.valid === false ? 'INVALID' : 'unknown';
  const stats = Object.entries(v.stats)
    .map(([k, n]) => `${esc(k)}: ${n}`)
    .join(' · ');
  const rows = (v.failingOps ?? [])
    .map(
      (r) =>
        `<tr${r.culprit ? ' class="culprit"' : ''}><td>${esc(r.id)}</td><td>${esc(r.lane)}</td><td>${r.invokeMs.toFixed(1)}</td><td>${Number.isFinite(r.completeMs) ? r.completeMs.toFixed(1) : '—'}</td><td>${esc(r.outcome)}</td><td>${esc(r.op)}</td><td>${esc(r.saw)}</td></tr>`,
    )
    .join('');
  const table = rows
    ? `<h4>Smallest failing sub-history (the highlighted operation is the one no order can explain)</h4><table><tr><th>op</th><th>client</th><th>invoked ms</th><th>completed ms</th><th>outcome</th><th>operation</th><th>what it saw</th></tr>${rows}</table>`
    : '';
  const anomalies =
    v.anomalies.length > 0
      ? `<details><summary>The checker's full explanation</summary><pre>${esc(v.anomalies.join('\n\n'))}</pre></details>`
      : '';
  const findings =
    (v.findings ?? []).length > 0
      ? `<h4>Findings (not violations of this workload's guarantee)</h4><ul>${(v.findings ?? []).map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`
      : '';
  return `<section><h3>${esc(v.workload)}: <span class="${status === 'valid' ? 'ok' : 'bad'}">${status}</span></h3><p>${stats}</p>${table}${anomalies}${findings}</section>`;
}

export function renderReport(input: ReportInput): string {
  const status = input.valid === true ? 'valid' : input.valid === false ? 'INVALID' : 'unknown';
  const faults = input.faults
    .map(
      (f) =>
        `<tr><td>${esc(f.kind)}</td><td>${(f.startMs / 1000).toFixed(1)}</td><td>${Number.isFinite(f.endMs) ? (f.endMs / 1000).toFixed(1) : '—'}</td><td>${esc(f.detail)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(input.title)}</title><style>
body{font-family:sans-serif;margin:20px;max-width:1240px}td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:left}
table{border-collapse:collapse}.ok{color:#2e9d4f}.bad{color:#c02020}.culprit{background:#ffd6d6;font-weight:bold}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:11px}
</style></head><body>
<h1>${esc(input.title)}: <span class="${status === 'valid' ? 'ok' : 'bad'}">${status}</span></h1>
<p>Replay the schedule: <code>${esc(input.replay)}</code></p>
<pre>${esc(JSON.stringify(input.settings, null, 2))}</pre>
${input.notes.length > 0 ? `<ul>${input.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<h2>Verdicts</h2>${input.verdicts.map(verdictSection).join('')}
<h2>Timeline</h2><p>One row per client (node/worker). Green ok, grey failed (not applied), orange unknown (open to the end for the checker; drawn as a 1 s stub). Shaded: faults (blue partition, red kill, purple pause). Dashed line: clients stop; healing and final reads follow. Hover for details.</p>
${timeline(input)}
<h2>Latency of successful operations (log scale) over time</h2>${latency(input)}
<h2>Faults applied</h2><table><tr><th>fault</th><th>from s</th><th>to s</th><th>what</th></tr>${faults}</table>
</body></html>`;
}
