// Tail sampling for real: the pinned Collector with otel/collector.sampling-tail.yaml in front of
// Jaeger takes synthetic traces (fast, slow, failed) over OTLP; Jaeger must get every slow and
// every failed one and few of the fast ones, while the span metrics count all of them.
import { findTraces, getTrace } from './jaeger';
import { otlpSpan, sendSpans } from './otlp';
import { waitFor } from './poll';
import { Stack, startStack } from './stack';

jest.setTimeout(120_000);

const SERVICE = `sampling-spec-${process.pid}`;
const FAST = 40;
const SLOW = 5;
const FAILED = 5;

const otlpTrace = (durationMs: number, failed: boolean) => otlpSpan({ name: 'GET /api/products', durationMs, failed });

describe('tail sampling in the Collector', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ apps: [], ephemeral: true, portBase: 27_800, sampling: 'tail' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps every slow and every failed trace, drops most fast ones, and counts them all in span metrics', async () => {
    const fast = Array.from({ length: FAST }, () => otlpTrace(20, false));
    const slow = Array.from({ length: SLOW }, () => otlpTrace(800, false));
    const failed = Array.from({ length: FAILED }, () => otlpTrace(20, true));
    const all = [...fast, ...slow, ...failed];
    expect(await sendSpans(stack.collectorOtlpHttpUrl, SERVICE, all)).toBe(200);

    // Decisions come `decision_wait` (5 s) after a trace's first span.
    await Promise.all([...slow, ...failed].map((t) => getTrace(stack.jaegerUrl, t.traceId, { timeoutMs: 30_000 })));
    const stored = new Set((await findTraces(stack.jaegerUrl, { service: SERVICE, limit: 200 })).map((t) => t.traceID));
    const keptFast = fast.filter((t) => stored.has(t.traceId)).length;
    // 10% of the rest: 4 expected of 40; more than 16 would happen once in ~10^5 runs.
    expect(keptFast).toBeLessThanOrEqual(16);
    expect(keptFast).toBeLessThan(FAST / 2);

    // The span metrics saw 100% of the spans, sampled or not.
    const calls = await waitFor(
      async () => {
        const text = await (await fetch(stack.spanMetricsUrl)).text();
        return text
          .split('\n')
          .filter((line) => line.startsWith('traces_span_metrics_calls_total') && line.includes(`service_name="${SERVICE}"`))
          .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      },
      (n) => n === all.length,
      { timeoutMs: 30_000, what: 'span metrics for every span' },
    );
    expect(calls).toBe(all.length);
  });
});
