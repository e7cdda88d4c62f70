// The telemetry pipeline for real: the pinned Collector and Jaeger, started by startStack with
// otel/collector.yaml and otel/jaeger.yaml, take one OTLP span; Jaeger must show it as sent. (That
// the Collector removes every secret is libs/telemetry's redaction.collector.spec.ts.) Needs the
// binaries from `bash tools/build-tools.sh`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getTrace, roots, serviceOf, tag } from './jaeger';
import { otlpSpan, sendSpans } from './otlp';
import { waitFor } from './poll';
import { portOpen } from './processes';
import { Stack, startStack, stackPorts } from './stack';

jest.setTimeout(120_000);

const PORT_BASE = 27_400; // away from the defaults and from the system tests' 18000

describe('collector -> jaeger pipeline', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ apps: [], ephemeral: true, portBase: PORT_BASE });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('delivers a span to Jaeger with its attributes and events', async () => {
    const span = otlpSpan({
      name: 'POST /api/checkout',
      attributes: { 'traceshop.order.id': 'order-42' },
      events: [{ name: 'upstream error', attributes: { 'exception.message': 'inventory did not answer in time' } }],
    });
    expect(await sendSpans(stack.collectorOtlpHttpUrl, 'pipeline-spec', [span])).toBe(200);

    const trace = await getTrace(stack.jaegerUrl, span.traceId);
    const [stored] = roots(trace);
    expect(trace.spans).toHaveLength(1);
    expect(serviceOf(trace, stored)).toBe('pipeline-spec');
    expect(stored.operationName).toBe('POST /api/checkout');
    expect(tag(stored, 'traceshop.order.id')).toBe('order-42');
    expect(stored.logs.map((l) => Object.fromEntries(l.fields.map((f) => [f.key, f.value])))).toEqual([{ event: 'upstream error', 'exception.message': 'inventory did not answer in time' }]);
  });

  it('brings a Collector killed with SIGKILL back by itself, and spans flow again', async () => {
    const before = stack.pid('otelcol');
    const restarted = stack.nextRestart('otelcol');
    stack.signal('otelcol', 'SIGKILL');
    expect(await restarted).not.toBe(before);
    expect(stack.restarts('otelcol')).toBe(1);
    expect(readFileSync(join(stack.logDir, 'otelcol.log'), 'utf8')).toContain('[stack] otelcol exited (signal SIGKILL); restarting in 1 s (restart 1)\n');

    const span = otlpSpan({ name: 'after the restart', kind: 1 });
    // Refused until the new Collector listens.
    await waitFor(() => sendSpans(stack.collectorOtlpHttpUrl, 'pipeline-spec', [span]), (status) => status === 200, {
      timeoutMs: 30_000,
      what: 'the restarted Collector to take a span',
    });
    expect((await getTrace(stack.jaegerUrl, span.traceId)).spans).toHaveLength(1);
  });

  it('closes every port when stopped', async () => {
    await stack.stop();
    const ports = stackPorts(PORT_BASE);
    const all = [...Object.values(ports.collector), ...Object.values(ports.jaeger)];
    const open = [];
    for (const port of all) if (await portOpen(port)) open.push(port);
    expect(open).toEqual([]);
  });
});
