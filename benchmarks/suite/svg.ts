// Small SVG chart builders for the report: line charts (linear or log axes)
// and grouped bars. Pure string output, no scripts, no external resources.

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface Axis {
  readonly label: string;
  readonly log?: boolean;
  /** Tick values with their labels; default: 5 ticks over the data. */
  readonly ticks?: readonly (readonly [number, string])[];
}

export interface LineChart {
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly series: readonly Series[];
  /** Draw dots only (no lines), e.g. one dot per trial. */
  readonly dotsOnly?: boolean;
}

const W = 560;
const H = 320;
const M = { left: 64, right: 16, top: 32, bottom: 48 };

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Math.round(v / 1e5) / 10}M`;
  if (a >= 1e3) return `${Math.round(v / 100) / 10}k`;
  if (a >= 1) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 1000) / 1000);
}

function scale(
  axis: Axis,
  values: number[],
  lo: number,
  hi: number,
): { map: (v: number) => number; ticks: [number, string][] } {
  const finite = values.filter((v) => Number.isFinite(v) && (!axis.log || v > 0));
  // With no data (a scenario not run), a log axis still needs a positive range:
  // min = 0 would make the tick loop below (p *= 10) never end.
  let min = finite.length ? Math.min(...finite) : axis.log ? 1 : 0;
  let max = finite.length ? Math.max(...finite) : axis.log ? 10 : 1;
  if (!axis.log) min = Math.min(0, min);
  if (axis.log) {
    min = 10 ** Math.floor(Math.log10(min));
    max = 10 ** Math.ceil(Math.log10(max));
  }
  if (max === min) max = min + 1;
  const t = (v: number): number => (axis.log ? Math.log10(Math.max(v, min)) : v);
  const map = (v: number): number => lo + ((t(v) - t(min)) / (t(max) - t(min))) * (hi - lo);
  let ticks: [number, string][];
  if (axis.ticks) ticks = axis.ticks.map(([v, l]) => [v, l]);
  else if (axis.log) {
    ticks = [];
    for (let p = min; p <= max * 1.0001; p *= 10) ticks.push([p, fmtTick(p)]);
  } else
    ticks = Array.from({ length: 5 }, (_, i) => min + ((max - min) * i) / 4).map((v) => [
      v,
      fmtTick(v),
    ]);
  return { map, ticks };
}

export function lineChart(c: LineChart): string {
  const all = c.series.flatMap((s) => s.points);
  const xs = scale(
    c.x,
    all.map((p) => p[0]),
    M.left,
    W - M.right,
  );
  const ys = scale(
    c.y,
    all.map((p) => p[1]),
    H - M.bottom,
    M.top,
  );
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(c.title)}">`,
  );
  parts.push(
    `<text x="${W / 2}" y="18" text-anchor="middle" class="title">${escapeXml(c.title)}</text>`,
  );
  for (const [v, label] of xs.ticks) {
    const x = xs.map(v).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${M.top}" x2="${x}" y2="${H - M.bottom}" class="grid"/><text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(label)}</text>`,
    );
  }
  for (const [v, label] of ys.ticks) {
    const y = ys.map(v).toFixed(1);
    parts.push(
      `<line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" class="grid"/><text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(label)}</text>`,
    );
  }
  parts.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle" class="axis">${escapeXml(c.x.label)}</text>`,
  );
  parts.push(
    `<text x="14" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" class="axis" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">${escapeXml(c.y.label)}</text>`,
  );
  c.series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    const coords = pts.map((p) => `${xs.map(p[0]).toFixed(1)},${ys.map(p[1]).toFixed(1)}`);
    if (!c.dotsOnly && coords.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${coords.join(' ')}"/>`,
      );
    for (const xy of coords) {
      const [x, y] = xy.split(',');
      parts.push(
        `<circle cx="${x}" cy="${y}" r="${c.dotsOnly ? 3.5 : 2.5}" fill="${s.color}" fill-opacity="${c.dotsOnly ? 0.6 : 1}"/>`,
      );
    }
    const ly = M.top + 4 + i * 16;
    parts.push(
      `<rect x="${M.left + 8}" y="${ly}" width="12" height="10" fill="${s.color}"/><text x="${M.left + 24}" y="${ly + 9}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface Bar {
  readonly group: string;
  readonly series: string;
  readonly value: number;
  readonly color: string;
}

export function barChart(title: string, yLabel: string, bars: readonly Bar[]): string {
  const groups = [...new Set(bars.map((b) => b.group))];
  const series = [...new Set(bars.map((b) => b.series))];
  const max = Math.max(1, ...bars.map((b) => b.value));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const groupW = plotW / Math.max(1, groups.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}">`,
  ];
  parts.push(
    `<text x="${W / 2}" y="18" text-anchor="middle" class="title">${escapeXml(title)}</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = (H - M.bottom - (plotH * i) / 4).toFixed(1);
    parts.push(
      `<line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" class="grid"/><text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmtTick(v)}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" class="axis" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">${escapeXml(yLabel)}</text>`,
  );
  groups.forEach((g, gi) => {
    const gx = M.left + gi * groupW + groupW * 0.1;
    parts.push(
      `<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(g)}</text>`,
    );
    series.forEach((s, si) => {
      const b = bars.find((x) => x.group === g && x.series === s);
      if (!b) return;
      const h = (b.value / max) * plotH;
      parts.push(
        `<rect x="${(gx + si * barW).toFixed(1)}" y="${(H - M.bottom - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${b.color}"><title>${escapeXml(`${s}: ${fmtTick(b.value)}`)}</title></rect>`,
      );
    });
  });
  series.forEach((s, i) => {
    const color = bars.find((b) => b.series === s)?.color ?? '#000';
    const ly = M.top + 4 + i * 16;
    parts.push(
      `<rect x="${W - M.right - 150}" y="${ly}" width="12" height="10" fill="${color}"/><text x="${W - M.right - 134}" y="${ly + 9}">${escapeXml(s)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
