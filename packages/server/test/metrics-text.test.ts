// /metrics must parse as the Prometheus text format even when a gauge has no
// sample yet: prom-client writes such a NaN as `Nan`, which strict parsers refuse.
import { Gauge } from 'prom-client';
import { checkExposition } from '../../testkit/src/exposition-check.js';
import { describe, expect, it } from 'vitest';
import { ServerMetrics } from '../src/http/metrics.js';
import { fakeServedNode } from './fake-served-node.js';

describe('server metrics text', () => {
  it('spells a NaN sample NaN, so the page stays valid', async () => {
    const metrics = new ServerMetrics(fakeServedNode({}));
    const g = new Gauge({
      name: 'test_unsampled',
      help: 'no sample yet',
      registers: [metrics.registry],
    });
    g.set(Number.NaN);
    const text = await metrics.text();
    expect(text).toMatch(/^test_unsampled NaN$/m);
    expect(() => checkExposition(text)).not.toThrow();
  });
});
