// A strict reader of the Prometheus text exposition format (0.0.4) for tests
// of /metrics pages, and the histogram_quantile() algorithm to read latency
// quantiles back from exported buckets. The npm parsers we looked at accept
// malformed lines and drop histogram labels, so this checks what Prometheus
// (and promtool check metrics) would reject:
//   - every sample belongs to a family declared by one `# TYPE` line before it,
//     and a family's lines are one group;
//   - names and label names are valid, label values are quoted with only \\, \" and \n escapes;
//   - no series appears twice;
//   - counters are named *_total and are not negative;
//   - each histogram series has cumulative buckets with increasing `le`, ending
//     with le="+Inf" equal to its _count, and a _sum.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

export type ExpositionType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface ExpositionSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface ExpositionFamily {
  readonly name: string;
  readonly type: ExpositionType;
  help: string | undefined;
  readonly samples: ExpositionSample[];
}

export class ExpositionError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'ExpositionError';
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Parses and checks a page; throws ExpositionError naming every problem (with line numbers). */
export function checkExposition(text: string): Map<string, ExpositionFamily> {
  const problems: string[] = [];
  const families = new Map<string, ExpositionFamily>();
  const closed = new Set<string>();
  const series = new Set<string>();
  const helps = new Map<string, string>();
  let current: ExpositionFamily | undefined;
  if (text.length > 0 && !text.endsWith('\n'))
    problems.push('the page does not end with a line feed');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (m === null) return; // a plain comment
      const [, kind, name, rest = ''] = m as unknown as [
        string,
        string,
        string,
        string | undefined,
      ];
      if (!NAME.test(name)) problems.push(`${at}: invalid metric name ${name}`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest.trim())) problems.push(`${at}: unknown type "${rest}" for ${name}`);
        if (families.has(name)) {
          problems.push(`${at}: second TYPE line for ${name}`);
          return;
        }
        const f: ExpositionFamily = {
          name,
          type: rest.trim() as ExpositionType,
          help: helps.get(name),
          samples: [],
        };
        families.set(name, f);
        switchTo(f, at);
      } else {
        if (helps.has(name)) problems.push(`${at}: second HELP line for ${name}`);
        if (!/^(?:[^\\]|\\[\\n])*$/.test(rest))
          problems.push(`${at}: HELP for ${name} has an invalid escape`);
        helps.set(name, rest);
        const f = families.get(name);
        if (f !== undefined) f.help = rest;
      }
      return;
    }
    const sample = parseSample(line, at, problems);
    if (sample === undefined) return;
    const family = familyOf(sample.name, families);
    if (family === undefined) {
      problems.push(`${at}: sample ${sample.name} has no # TYPE line declaring its family`);
      return;
    }
    switchTo(family, at);
    const key = sample.name + labelKey(sample.labels);
    if (series.has(key)) problems.push(`${at}: duplicate series ${key}`);
    series.add(key);
    family.samples.push(sample);
  });

  function switchTo(f: ExpositionFamily, at: string): void {
    if (current === f) return;
    if (closed.has(f.name)) problems.push(`${at}: lines of ${f.name} are not one group`);
    if (current !== undefined) closed.add(current.name);
    current = f;
  }

  for (const f of families.values()) checkFamily(f, problems);
  if (problems.length > 0)
    throw new ExpositionError(`invalid Prometheus exposition:\n  ${problems.join('\n  ')}`);
  return families;
}

function parseSample(line: string, at: string, problems: string[]): ExpositionSample | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (m === null) {
    problems.push(`${at}: not a sample: ${line}`);
    return undefined;
  }
  const name = m[1]!;
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const ln = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(pos));
      if (ln === null) {
        problems.push(`${at}: bad label at column ${pos + 1}: ${line}`);
        return undefined;
      }
      pos += ln[0].length;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) {
          problems.push(`${at}: unterminated label value: ${line}`);
          return undefined;
        }
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos++];
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else {
            problems.push(`${at}: invalid escape \\${e ?? ''} in a label value: ${line}`);
            return undefined;
          }
        } else value += c;
      }
      const labelName = ln[1]!;
      if (!LABEL_NAME.test(labelName) || labelName.startsWith('__'))
        problems.push(`${at}: invalid label name ${labelName}`);
      if (labelName in labels) problems.push(`${at}: label ${labelName} twice`);
      labels[labelName] = value;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') {
        problems.push(`${at}: expected , or } at column ${pos + 1}: ${line}`);
        return undefined;
      }
    }
  }
  const rest = line.slice(pos);
  const vm = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (vm === null || !FLOAT.test(vm[1]!)) {
    problems.push(`${at}: bad value in: ${line}`);
    return undefined;
  }
  return { name, labels, value: parseFloatGo(vm[1]!) };
}

function parseFloatGo(s: string): number {
  if (s.endsWith('Inf')) return s.startsWith('-') ? -Infinity : Infinity;
  return Number(s);
}

function familyOf(
  sampleName: string,
  families: ReadonlyMap<string, ExpositionFamily>,
): ExpositionFamily | undefined {
  const exact = families.get(sampleName);
  if (exact !== undefined && exact.type !== 'histogram') return exact;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const f = families.get(sampleName.slice(0, -suffix.length));
    if (f === undefined) continue;
    if (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket')) return f;
  }
  return undefined;
}

function checkFamily(f: ExpositionFamily, problems: string[]): void {
  if (f.type === 'counter') {
    if (!f.name.endsWith('_total')) problems.push(`counter ${f.name} is not named *_total`);
    for (const s of f.samples)
      if (!(s.value >= 0)) problems.push(`counter ${f.name} has value ${s.value}`);
  }
  if (f.type === 'histogram') {
    for (const [key, h] of histogramSeries(f)) {
      const where = `histogram ${f.name}${key}`;
      if (h.buckets.length === 0) problems.push(`${where} has no buckets`);
      if (h.buckets.at(-1)?.le !== Infinity) problems.push(`${where} does not end with le="+Inf"`);
      for (let i = 1; i < h.buckets.length; i++) {
        const [a, b] = [h.buckets[i - 1]!, h.buckets[i]!];
        if (!(b.le > a.le)) problems.push(`${where}: le ${b.le} after ${a.le} (not increasing)`);
        if (b.count < a.count)
          problems.push(`${where}: bucket le=${b.le} has ${b.count} < ${a.count} (not cumulative)`);
      }
      if (h.count === undefined) problems.push(`${where} has no _count`);
      else if (h.buckets.at(-1)?.count !== h.count)
        problems.push(`${where}: +Inf bucket ${h.buckets.at(-1)?.count} ≠ _count ${h.count}`);
      if (h.sum === undefined) problems.push(`${where} has no _sum`);
    }
  }
}

export interface HistogramSeries {
  readonly buckets: { le: number; count: number }[];
  sum: number | undefined;
  count: number | undefined;
}

/** A histogram family's series, keyed by their labels other than `le` (as `{a="x",…}`, or `` for none). */
export function histogramSeries(f: ExpositionFamily): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = labelKey(rest);
    let h = out.get(key);
    if (h === undefined) out.set(key, (h = { buckets: [], sum: undefined, count: undefined }));
    if (s.name.endsWith('_bucket'))
      h.buckets.push({ le: le === undefined ? NaN : parseFloatGo(le), count: s.value });
    else if (s.name.endsWith('_sum')) h.sum = s.value;
    else if (s.name.endsWith('_count')) h.count = s.value;
  }
  return out;
}

export function labelKey(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0
    ? ''
    : `{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

/**
 * Prometheus' histogram_quantile(q, buckets): find the bucket holding rank
 * q·count and interpolate linearly inside it (from 0 for the first bucket);
 * a rank in the +Inf bucket answers the highest finite bound.
 */
export function histogramQuantile(
  q: number,
  buckets: readonly { le: number; count: number }[],
): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (buckets.length < 2 || buckets.at(-1)!.le !== Infinity) return NaN;
  const total = buckets.at(-1)!.count;
  if (total === 0) return NaN;
  const rank = q * total;
  let b = buckets.findIndex((x) => x.count >= rank);
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let start = 0;
  let below = 0;
  if (b > 0) {
    start = buckets[b - 1]!.le;
    below = buckets[b - 1]!.count;
  } else b = 0;
  const end = buckets[b]!.le;
  const inBucket = buckets[b]!.count - below;
  return start + (end - start) * ((rank - below) / inBucket);
}
