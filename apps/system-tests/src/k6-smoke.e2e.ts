import { getTrace, JaegerTrace, parentOf, roots, serviceOf, spansOf } from '@traceshop/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K6Run, runScript } from './k6';
import { jaegerUrl } from './shop';

interface Sample {
  type: string;
  metric: string;
  data: { tags: Record<string, string>; metadata?: { trace_id?: string } };
}

/**
 * k6/smoke.ts against the stack under test, as a person would run it: it must pass its own
 * thresholds, and the trace ids it generated must be the ones Jaeger shows.
 */
describe('the k6 smoke script', () => {
  let dir: string;
  let run: K6Run;
  let summary: any;
  let requests: Sample[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'traceshop-k6-'));
    // The smoke scenario itself stops after 2 minutes.
    run = await runScript('k6/smoke.ts', { summaryDir: dir, flags: ['--out', `json=${join(dir, 'samples.json')}`], timeoutMs: 140_000 });
    summary = JSON.parse(readFileSync(join(dir, 'smoke-summary.json'), 'utf8'));
    requests = readFileSync(join(dir, 'samples.json'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Sample)
      .filter((s) => s.type === 'Point' && s.metric === 'http_reqs');
  }, 150_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0: every threshold held and every check passed', () => {
    if (run.code !== 0) throw new Error(`k6 exited with ${run.code}:\n${run.output.slice(-6000)}`);
    expect(summary.passed).toBe(true);
    expect(summary.thresholds.filter((t: { ok: boolean }) => !t.ok)).toEqual([]);
    expect(summary.checks).toMatchObject({ fails: 0, rate: 1, failing: [] });
    expect(summary.checks.passes).toBeGreaterThan(0);
  });

  it('went through every endpoint, with both checkout outcomes', () => {
    expect(Object.keys(summary.endpoints).sort()).toEqual(['cart_delete', 'cart_get', 'cart_put', 'checkout', 'login', 'order', 'products', 'register']);
    expect(summary.checkouts.paid).toBeGreaterThan(0);
    expect(summary.checkouts.declined).toBeGreaterThan(0);
    expect(summary.checkouts.okRate).toBe(1);
  });

  it('gave every request its own trace id, recorded in the metrics metadata', () => {
    const ids = requests.map((s) => s.data.metadata?.trace_id);
    expect(ids.length).toBe(summary.requests);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("generated the trace id of a checkout that Jaeger shows, continued by the gateway", async () => {
    const checkout = requests.find((s) => s.data.tags.endpoint === 'checkout' && s.data.tags.status === '201');
    expect(checkout).toBeDefined();
    const traceId = checkout!.data.metadata!.trace_id!;
    // Complete enough: payment has reported, and only one span's parent is missing.
    const trace: JaegerTrace = await getTrace(jaegerUrl(), traceId, {
      until: (t) => spansOf(t, 'payment').length > 0 && roots(t).length === 1,
      timeoutMs: 30_000,
    });
    expect(trace.traceID).toBe(traceId);
    // That one is the gateway's server span, and its parent is the k6 script's own span, which
    // k6 never exports: the trace started in the script and the gateway continued it.
    const [root] = roots(trace);
    expect(serviceOf(trace, root)).toBe('gateway');
    expect(root.operationName).toMatch(/POST/);
    expect(parentOf(root)).toMatch(/^[0-9a-f]{16}$/);
  });
});
