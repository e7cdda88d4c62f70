import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { painter } from './format';
import { parsePrometheus, quantile, renderStats, spanMetrics, windowStats } from './stats';

// The Collector's span metrics endpoint read twice (fixtures/README.md): before, 4 checkouts
// (one an error) and a cart consumer span; after, 10 more checkouts (one an error).
const read = (name: string) => spanMetrics(parsePrometheus(readFileSync(join(__dirname, 'fixtures', `spanmetrics-${name}.txt`), 'utf8')));
const before = read('before');
const after = read('after');

describe('span metrics', () => {
  it('counts calls and errors of server and consumer spans per service and operation, leaving out clients', () => {
    expect([...before.values()].map(({ service, operation, kind, calls, errors }) => ({ service, operation, kind, calls, errors }))).toEqual([
      { service: 'cart', operation: 'cart.order-events process', kind: 'consumer', calls: 1, errors: 0 },
      { service: 'gateway', operation: 'POST /api/checkout', kind: 'server', calls: 4, errors: 1 },
    ]);
    // The histograms of both status codes added up, cumulative, ms.
    const checkout = [...before.values()].find((o) => o.service === 'gateway')!;
    expect(checkout.buckets.map((b) => [b.le, b.count])).toEqual([
      [5, 0], [10, 0], [25, 0], [50, 1], [100, 2], [250, 3], [500, 3], [1000, 3], [2500, 3], [5000, 3], [Infinity, 4],
    ]);
  });

  it('gives rate, errors and percentiles of the window between two reads, and calls since the start', () => {
    const rows = windowStats(before, after, 10);
    expect(rows).toEqual([
      { service: 'cart', operation: 'cart.order-events process', kind: 'consumer', total: 1, calls: 0, perSecond: 0, errors: 0, p50: undefined, p95: undefined, p99: undefined, ceilingMs: 5000 },
      // 20, 30, 60, 80, 120, 200, 300, 400, 700 and 3000 ms: the 5th in (100, 250], the 10th in (2500, 5000].
      { service: 'gateway', operation: 'POST /api/checkout', kind: 'server', total: 14, calls: 10, perSecond: 1, errors: 1, p50: 175, p95: 3750, p99: expect.closeTo(4750), ceilingMs: 5000 },
    ]);
  });

  it('counts from zero after the Collector restarted (a counter went down)', () => {
    const [, checkout] = windowStats(after, before, 10);
    expect(checkout).toMatchObject({ total: 4, calls: 4, errors: 1 });
  });

  it('puts a percentile in the +Inf bucket above the highest bound, as Prometheus does', () => {
    expect(quantile(0.5, [{ le: 5000, count: 0 }, { le: Infinity, count: 1 }])).toBe(Infinity);
    expect(quantile(0.5, [{ le: 10, count: 2 }, { le: Infinity, count: 2 }])).toBe(5);
    expect(quantile(0.5, [{ le: Infinity, count: 0 }])).toBeUndefined();
  });

  it('renders a line per operation: calls, req/s, errors with their share, p50/p95/p99', () => {
    const text = renderStats(windowStats(read('before'), read('after'), 10), { seconds: 10, url: 'http://127.0.0.1:8889/metrics', at: new Date('2026-12-01T17:20:00Z') }, painter(false));
    expect(text).toContain('span metrics at http://127.0.0.1:8889/metrics, 2026-12-01 17:20:00 UTC');
    expect(text).toMatch(/^service\s+operation\s+kind\s+calls\s+req\/s\s+errors\s+p50\s+p95\s+p99$/m);
    expect(text).toMatch(/^gateway\s+POST \/api\/checkout\s+server\s+14\s+1\.0\s+1 10\.0%\s+175\.0ms\s+3\.75s\s+4\.75s$/m);
    expect(text).toMatch(/^cart\s+cart\.order-events process\s+consumer\s+1\s+0\.0\s+-\s+-\s+-\s+-$/m);
    expect(renderStats([{ ...windowStats(before, after, 10)[1], p99: Infinity }], { seconds: 10, url: 'u', at: new Date() }, painter(false))).toMatch(/>5\.00s$/m);
  });
});
