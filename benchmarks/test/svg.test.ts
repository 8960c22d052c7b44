import { describe, expect, it } from 'vitest';
import { lineChart } from '../suite/svg.js';

describe('svg charts', () => {
  it('a log-scale chart with no data (a scenario that was not run) renders empty axes instead of looping', () => {
    const svg = lineChart({
      title: 'latency',
      x: { label: 'clients', log: true },
      y: { label: 'ms', log: true },
      series: [],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.length).toBeLessThan(50_000);
  });

  it('a log-scale chart spans the data by powers of ten', () => {
    const svg = lineChart({
      title: 'latency',
      x: { label: 'clients', log: true },
      y: { label: 'ms', log: true },
      series: [
        {
          name: 'a',
          color: '#333',
          points: [
            [1, 0.5],
            [256, 40],
          ],
        },
      ],
    });
    expect(svg).toContain('>100<');
    expect(svg).toContain('>0.1<');
  });
});
