import { describe, expect, it } from 'vitest';
import { checkExposition, histogramQuantile, histogramSeries } from '../src/exposition-check.js';

const HIST = [
  '# HELP d_seconds A latency.',
  '# TYPE d_seconds histogram',
  'd_seconds_bucket{m="a",le="0.1"} 1',
  'd_seconds_bucket{m="a",le="1"} 3',
  'd_seconds_bucket{m="a",le="+Inf"} 4',
  'd_seconds_sum{m="a"} 2.5',
  'd_seconds_count{m="a"} 4',
];
const page = (...lines: string[]): string => lines.join('\n') + '\n';

describe('checkExposition', () => {
  it('accepts a valid page and reads its families, labels (unescaped) and histogram series', () => {
    const f = checkExposition(
      page(
        ...HIST,
        '# TYPE r_total counter',
        'r_total{path="/a\\\\b\\"c\\n"} 7',
        '# HELP g A gauge with an escaped \\\\ and \\n in its help.',
        '# TYPE g gauge',
        'g +Inf',
        'g{x="1",} NaN 1700000000000',
      ),
    );
    expect(f.get('r_total')!.samples[0]!.labels['path']).toBe('/a\\b"c\n');
    const h = histogramSeries(f.get('d_seconds')!).get('{m="a"}')!;
    expect(h).toEqual({
      buckets: [
        { le: 0.1, count: 1 },
        { le: 1, count: 3 },
        { le: Infinity, count: 4 },
      ],
      sum: 2.5,
      count: 4,
    });
  });

  it.each([
    ['a sample without # TYPE', page('x 1'), /no # TYPE line/],
    [
      'a counter not named _total',
      page('# TYPE x counter', 'x 1'),
      /counter x is not named \*_total/,
    ],
    [
      'a negative counter',
      page('# TYPE x_total counter', 'x_total -1'),
      /counter x_total has value -1/,
    ],
    [
      'a duplicate series',
      page('# TYPE g gauge', 'g{a="1",b="2"} 1', 'g{b="2",a="1"} 2'),
      /duplicate series/,
    ],
    [
      'a family in two groups',
      page('# TYPE g gauge', 'g 1', '# TYPE h gauge', 'h 1', 'g{a="x"} 2'),
      /not one group/,
    ],
    ['a second TYPE line', page('# TYPE g gauge', '# TYPE g gauge', 'g 1'), /second TYPE/],
    [
      'an invalid escape in a label value',
      page('# TYPE g gauge', 'g{a="\\x"} 1'),
      /invalid escape/,
    ],
    ['an unquoted label value', page('# TYPE g gauge', 'g{a=x} 1'), /bad label/],
    ['a bad value', page('# TYPE g gauge', 'g one'), /bad value/],
    ['no final line feed', '# TYPE g gauge\ng 1', /line feed/],
    [
      'buckets that are not cumulative',
      page(...HIST.map((l) => l.replace('le="1"} 3', 'le="1"} 0'))),
      /not cumulative/,
    ],
    [
      'buckets without +Inf',
      page(...HIST.filter((l) => !l.includes('+Inf'))),
      /does not end with le="\+Inf"/,
    ],
    [
      '+Inf that differs from _count',
      page(...HIST.map((l) => l.replace('_count{m="a"} 4', '_count{m="a"} 5'))),
      /\+Inf bucket 4 ≠ _count 5/,
    ],
    [
      'buckets out of order',
      page(...HIST.map((l) => l.replace('le="0.1"', 'le="2"'))),
      /not increasing/,
    ],
    ['a histogram without _sum', page(...HIST.filter((l) => !l.includes('_sum'))), /no _sum/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => checkExposition(text)).toThrow(message);
  });
});

describe('histogramQuantile (Prometheus histogram_quantile)', () => {
  const buckets = [
    { le: 0.1, count: 10 },
    { le: 0.2, count: 30 },
    { le: 0.4, count: 40 },
    { le: Infinity, count: 40 },
  ];

  it('interpolates linearly inside the bucket holding the rank, from 0 in the first', () => {
    expect(histogramQuantile(0.1, buckets)).toBeCloseTo(0.04, 12); // rank 4 of 10 in (0, 0.1]
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.15, 12); // rank 20: 10 of 20 into (0.1, 0.2]
    expect(histogramQuantile(0.875, buckets)).toBeCloseTo(0.3, 12); // rank 35: 5 of 10 into (0.2, 0.4]
  });

  it('answers the highest finite bound for a rank in +Inf, and NaN without observations', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(1);
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Infinity, count: 0 },
      ]),
    ).toBeNaN();
  });
});
