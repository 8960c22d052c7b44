// Plain text tables with box borders, drawn as etcdctl's `-w table` draws them
// (its table library's defaults plus etcdctl's right alignment): headers
// centred, cells right-aligned, one space of padding.

/** `s` centred in `width`, the extra space on the right (as etcdctl's table library pads). */
function centre(s: string, width: number): string {
  const gap = width - s.length;
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + s + ' '.repeat(gap - left);
}

export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(' | ')} |`;
  const head = `| ${headers.map((h, i) => centre(h, widths[i] ?? 0)).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return [rule, head, rule, ...rows.map(line), rule].join('\n');
}

/** A byte count as etcdctl prints a DB size (SI units, one decimal below 10: "2.8 kB", "31 kB"). */
export function humanBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1000)));
  const value = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${units[e]}`;
}
