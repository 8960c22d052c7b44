// A writer for the Prometheus text exposition format (version 0.0.4): metric
// families with HELP and TYPE, samples with escaped label values, and
// histograms exported from a Histogram's grid with cumulative `le` buckets.
// It checks what the format requires of the caller (each family declared
// once, before its samples; counters named *_total) so a mistake fails at
// once instead of producing a page Prometheus rejects.
import { invariant } from './errors.js';
import { boundIndexOfPowerOfTwo, type Histogram } from './histogram.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string>>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The `le` bounds a histogram exports: powers of two of its recorded unit,
 * 2^fromExp … 2^toExp, each shown multiplied by `scale` (1/1000 for a
 * histogram recorded in ms and exported in seconds).
 */
export class ExportedBuckets {
  readonly indexes: readonly number[];
  readonly les: readonly string[];
  /** Reused by every export (cumulative counts): no allocation per histogram written. */
  readonly scratch: number[];

  constructor(
    fromExp: number,
    toExp: number,
    readonly scale: number,
  ) {
    const exps = Array.from({ length: toExp - fromExp + 1 }, (_, i) => fromExp + i);
    this.indexes = exps.map(boundIndexOfPowerOfTwo);
    this.les = exps.map((e) => formatValue(2 ** e * scale));
    this.scratch = exps.map(() => 0);
  }
}

export class ExpositionWriter {
  private readonly lines: string[] = [];
  private readonly declared = new Map<string, MetricType>();
  private current: { name: string; type: MetricType } | undefined;

  /** Declares a family; its samples must follow before the next family. */
  family(name: string, type: MetricType, help: string): this {
    invariant(NAME.test(name), () => `metric name ${JSON.stringify(name)} is not valid`);
    invariant(!this.declared.has(name), () => `metric family ${name} declared twice`);
    invariant(
      type !== 'counter' || name.endsWith('_total'),
      () => `counter ${name} must end in _total`,
    );
    this.declared.set(name, type);
    this.current = { name, type };
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    return this;
  }

  /** A counter or gauge sample of the current family. */
  sample(value: number, labels: Labels = {}): this {
    const f = this.current;
    invariant(
      f !== undefined && f.type !== 'histogram',
      'sample() needs a counter or gauge family declared before it',
    );
    invariant(
      f.type !== 'counter' || value >= 0,
      () => `counter ${f.name} must not be negative (${value})`,
    );
    this.lines.push(`${f.name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  /** One histogram series of the current family: cumulative buckets, +Inf, _sum and _count. */
  histogram(h: Histogram, buckets: ExportedBuckets, labels: Labels = {}): this {
    const f = this.current;
    invariant(
      f !== undefined && f.type === 'histogram',
      'histogram() needs a histogram family declared before it',
    );
    invariant(!('le' in labels), 'a histogram series cannot have its own le label');
    const counts = buckets.scratch;
    h.cumulativeCounts(buckets.indexes, counts);
    for (let i = 0; i < counts.length; i++) {
      this.lines.push(
        `${f.name}_bucket${formatLabels({ ...labels, le: buckets.les[i]! })} ${counts[i]}`,
      );
    }
    this.lines.push(`${f.name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${h.count}`);
    this.lines.push(`${f.name}_sum${formatLabels(labels)} ${formatValue(h.sum * buckets.scale)}`);
    this.lines.push(`${f.name}_count${formatLabels(labels)} ${h.count}`);
    return this;
  }

  text(): string {
    return this.lines.length === 0 ? '' : this.lines.join('\n') + '\n';
  }
}

/** A sample value: Go's float syntax, with +Inf/-Inf/NaN spelled as Prometheus expects. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  const parts = keys.map((k) => {
    invariant(
      LABEL.test(k) && !k.startsWith('__'),
      () => `label name ${JSON.stringify(k)} is not valid`,
    );
    return `${k}="${escapeLabelValue(labels[k]!)}"`;
  });
  return `{${parts.join(',')}}`;
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
