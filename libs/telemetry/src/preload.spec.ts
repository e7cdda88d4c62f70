import { getTrace, roots, serviceOf, Stack, startStack } from '@traceshop/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

// The preload in a real child process, exporting to the real Collector and Jaeger.
const ROOT = join(__dirname, '../../..');
const PRELOAD = join(__dirname, 'preload.ts');

// The child makes one span, says which trace it is in, and then waits to be stopped.
const CHILD = `
  const span = require('@opentelemetry/api').trace.getTracer('preload-spec').startSpan('shutdown-flush');
  span.end();
  console.log('ready ' + span.spanContext().traceId);
  setInterval(() => undefined, 1000);
`;

function startChild(env: Record<string, string>): { child: ChildProcess; traceId: Promise<string> } {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '--require', PRELOAD, '-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const traceId = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /ready ([0-9a-f]{32})/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready`)));
  });
  return { child, traceId };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000); // a hang must not hang the suite
  const [code] = await exited;
  clearTimeout(timer);
  return code as number | null;
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
    expect(await stop(child)).toBe(0);

    const trace = await getTrace(stack.jaegerUrl, id, { timeoutMs: 20_000 });
    const [span] = roots(trace);
    expect(span.operationName).toBe('shutdown-flush');
    expect(serviceOf(trace, span)).toBe(service);
  }, 60_000);

  it('records nothing with OTEL_SDK_DISABLED=true, and still exits cleanly', async () => {
    const { child, traceId } = startChild({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: stack.collectorOtlpHttpUrl });
    expect(await traceId).toBe('0'.repeat(32)); // the API's no-op tracer: no trace at all
    expect(await stop(child)).toBe(0);
  }, 60_000);
});
