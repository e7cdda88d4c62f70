import { getTrace, listScenarios, setScenarios } from '@traceshop/testing';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K6Run, root, runScript } from './k6';
import { bothSaw, firstCheckoutWhere, flagsFile, providerServerSpan, withProvider } from './scenario-tools';
import { jaegerUrl } from './shop';

/**
 * k6/incidents/<scenario>.ts, one per fault scenario: each runs to its end and passes its
 * thresholds while every scenario is off; with slow-checkout on, its script goes red (exit 99)
 * and the trace it points at shows the slow provider.
 */
const SCENARIOS = listScenarios(join(root, 'flags/traceshop.flagd.json')).map((s) => s.name);
/** One iteration per VU (one burst), bursts a second apart: each script in a second or two. */
const SHORT = { ITERATIONS: 1, BURST_EVERY_S: 1 };

interface Summary {
  passed: boolean;
  iterations: number;
  thresholds: { metric: string; threshold: string; ok: boolean }[];
}

describe('the k6 incident scripts', () => {
  let dir: string;
  const summaryOf = (scenario: string): Summary => JSON.parse(readFileSync(join(dir, `incident-${scenario}-summary.json`), 'utf8'));
  /** k6 logs an exception in an iteration and carries on: the run must have none. */
  const scriptErrors = (run: K6Run) => run.output.split('\n').filter((line) => line.includes('source=stacktrace'));
  const explain = (run: K6Run) => `k6 exited with ${run.code}:\n${run.output.slice(-6000)}`;

  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'traceshop-k6-incidents-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are one per fault scenario of the flag file', () => {
    expect(readdirSync(join(root, 'k6/incidents')).sort()).toEqual(SCENARIOS.map((s) => `${s}.ts`).sort());
  });

  describe('with every scenario off', () => {
    // The scenario test files end each scenario with a test that waits until it is off again.
    beforeAll(() => expect(listScenarios(flagsFile()).filter((s) => s.on)).toEqual([]));

    it.each(SCENARIOS)('%s runs to its end and holds its thresholds (exit 0)', async (scenario) => {
      const run = await runScript(`k6/incidents/${scenario}.ts`, { summaryDir: dir, env: SHORT, timeoutMs: 60_000 });
      if (run.code !== 0) throw new Error(explain(run));
      expect(scriptErrors(run)).toEqual([]);
      const summary = summaryOf(scenario);
      expect(summary.passed).toBe(true);
      expect(summary.iterations).toBeGreaterThan(0);
    }, 70_000);
  });

  describe('slow-checkout, switched on', () => {
    let run: K6Run;

    beforeAll(async () => {
      setScenarios(flagsFile(), ['slow-checkout'], true);
      // Each service polls the flag file on its own clock: wait until both have seen the switch.
      await firstCheckoutWhere((c) => bothSaw(c.trace, 'slow-checkout=on'), withProvider);
      run = await runScript('k6/incidents/slow-checkout.ts', { summaryDir: dir, env: { VUS: 1, ITERATIONS: 2 }, timeoutMs: 60_000 });
    }, 120_000);

    afterAll(async () => {
      setScenarios(flagsFile(), ['slow-checkout'], false);
      // Leave the stack as the next file expects it: both services back to normal.
      await firstCheckoutWhere((c) => bothSaw(c.trace, 'slow-checkout=off'), withProvider);
    }, 60_000);

    it('exits 99: the checkout latency thresholds, and only they, failed', () => {
      if (run.code !== 99) throw new Error(explain(run));
      expect(scriptErrors(run)).toEqual([]);
      const failed = summaryOf('slow-checkout').thresholds.filter((t) => !t.ok);
      expect(failed.map((t) => `${t.metric} ${t.threshold}`).sort()).toEqual([
        'http_req_duration{endpoint:checkout} p(95)<1000',
        'http_req_duration{endpoint:checkout} p(99)<2000',
      ]);
    });

    it('prints slow checkouts with their Jaeger links and trace commands, and Jaeger shows the provider taking ~2 s', async () => {
      const printed = [...run.output.matchAll(/slow checkout: \d+ ms > SLOW_CHECKOUT_MS=\d+ trace_id=([0-9a-f]{32}) ([^\s"]+) \(npm run trace -- \1\)/g)];
      expect(printed.length).toBeGreaterThan(0);
      const [, traceId, link] = printed[0];
      expect(link).toBe(`${jaegerUrl()}/trace/${traceId}`);
      const trace = await getTrace(jaegerUrl(), traceId, { until: (t) => providerServerSpan(t) !== undefined, timeoutMs: 30_000 });
      expect(providerServerSpan(trace)!.duration / 1000).toBeGreaterThanOrEqual(2_000); // PROVIDER_LATENCY_MS
    });
  });
});
