import { findTraces, getTrace, killChildren, NodeChild, roots, serviceOf, Stack, startNodeChild, startStack } from '@traceshop/testing';
import { join } from 'node:path';

// The preload in a real child process, exporting to the real Collector and Jaeger.
const PRELOAD = join(__dirname, 'preload.ts');

// The child makes SPANS root spans and then a marker span whose remote parent is sampled (so a
// parent-based sampler always keeps it), prints the marker's trace id, and waits to be stopped.
const CHILD = `
  const api = require('@opentelemetry/api');
  const tracer = api.trace.getTracer('preload-spec');
  for (let i = 0; i < Number(process.env.SPANS || 0); i++) tracer.startSpan('sampled-or-not').end();
  const parent = api.trace.setSpanContext(api.context.active(), {
    traceId: require('crypto').randomBytes(16).toString('hex'),
    spanId: require('crypto').randomBytes(8).toString('hex'),
    traceFlags: api.TraceFlags.SAMPLED,
    isRemote: true,
  });
  const marker = tracer.startSpan('shutdown-flush', {}, parent);
  const recording = marker.isRecording(); // before end(): an ended span records nothing more
  marker.end();
  // shimmer marks what an instrumentation wrapped: here, http's request function.
  const patched = require('http').request.__wrapped === true;
  console.log('ready ' + marker.spanContext().traceId + ' recording=' + recording + ' patched=' + patched);
  setInterval(() => undefined, 1000);
`;

afterEach(killChildren); // those a failed assertion left running

/** The child with the preload, in our environment plus `env` (undefined: that variable removed). */
function startChild(env: Record<string, string | undefined>): { child: NodeChild; traceId: Promise<string>; recording: Promise<boolean>; patched: Promise<boolean>; output: () => string } {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete merged[key];
  const child = startNodeChild(CHILD, { env: merged, preload: PRELOAD, ready: /ready ([0-9a-f]{32}) recording=(true|false) patched=(true|false)/ });
  const { ready } = child;
  return { child, traceId: ready.then((m) => m[1]), recording: ready.then((m) => m[2] === 'true'), patched: ready.then((m) => m[3] === 'true'), output: child.output };
}

describe('telemetry preload', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ apps: [], ephemeral: true, portBase: 27_600 });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('flushes spans still waiting in the batch when the process gets SIGTERM, then exits 0', async () => {
    const service = `preload-spec-${process.pid}`;
    const { child, traceId } = startChild({
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: stack.collectorOtlpHttpUrl,
      // Ten minutes: without the flush on shutdown, the span would never leave the process.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    const id = await traceId;
    expect(await child.stop()).toBe(0);

    const trace = await getTrace(stack.jaegerUrl, id, { timeoutMs: 20_000 });
    const [span] = roots(trace);
    expect(span.operationName).toBe('shutdown-flush');
    expect(serviceOf(trace, span)).toBe(service);
  }, 60_000);

  it('honours head sampling from the environment: at 1%, almost every trace is never recorded', async () => {
    const service = `preload-spec-sampled-${process.pid}`;
    const { child, traceId } = startChild({
      SPANS: '200',
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: stack.collectorOtlpHttpUrl,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    });
    const marker = await traceId;
    expect(await child.stop()).toBe(0);
    // The marker is flushed with whatever was sampled: once Jaeger has it, it has them all.
    await getTrace(stack.jaegerUrl, marker, { timeoutMs: 20_000 });
    const stored = (await findTraces(stack.jaegerUrl, { service, limit: 500 })).filter((t) => t.traceID !== marker);
    expect(stored.length).toBeLessThan(20); // about 2 of 200; 200 without head sampling
  }, 60_000);

  it('records nothing and patches nothing with OTEL_SDK_DISABLED=true, and still exits cleanly', async () => {
    const on = startChild({ OTEL_EXPORTER_OTLP_ENDPOINT: stack.collectorOtlpHttpUrl });
    const off = startChild({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: stack.collectorOtlpHttpUrl });
    const [recordedOn, patchedOn, recordedOff, patchedOff] = await Promise.all([on.recording, on.patched, off.recording, off.patched]);
    expect([await on.child.stop(), await off.child.stop()]).toEqual([0, 0]);
    expect({ recordedOn, patchedOn }).toEqual({ recordedOn: true, patchedOn: true });
    // The API's no-op tracer records nothing, and no library is wrapped: "disabled" costs nothing.
    expect({ recordedOff, patchedOff }).toEqual({ recordedOff: false, patchedOff: false });
  }, 60_000);

  it('writes the SDK`s own diagnostics at the level OTEL_LOG_LEVEL names, from the first instrumentation on, and none when it is unset', async () => {
    const run = async (level: string | undefined) => {
      const { child, traceId, output } = startChild({ OTEL_LOG_LEVEL: level, OTEL_EXPORTER_OTLP_ENDPOINT: stack.collectorOtlpHttpUrl });
      await traceId;
      expect(await child.stop()).toBe(0);
      return output();
    };
    const [debug, info, unset] = await Promise.all([run('debug'), run('info'), run(undefined)]);
    // Debug lines of the bundle while it constructs the instrumentations (before NodeSDK exists),
    // and of the API as the SDK registers itself.
    expect(debug).toContain('Loading instrumentation for @opentelemetry/instrumentation-http');
    expect(debug).toContain('Registered a global for context');
    expect(debug).not.toMatch(/logger will (be overwritten|overwrite)/i); // one logger, set once
    // Info: the SDK's info lines, no debug ones.
    expect(info).toContain('OTEL_METRICS_EXPORTER contains "none"');
    expect(info).not.toMatch(/Loading instrumentation|Registered a global/);
    // Unset: the SDK's default, no diagnostics at all.
    expect(unset).not.toMatch(/Loading instrumentation|Registered a global|OTEL_METRICS_EXPORTER/);
  }, 60_000);
});
