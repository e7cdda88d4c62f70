import { ENDPOINTS, type Endpoint } from './client.ts';
import { BASE_URL, JAEGER_URL, SEED, SUMMARY_DIR } from './config.ts';

/**
 * The end of a run, twice: a text a person reads on the terminal (thresholds first, then one line
 * per endpoint, checks, checkout outcomes) and `<SUMMARY_DIR>/<script>-summary.json` for machines
 * (the same facts plus k6's raw metrics). Use it as `export const handleSummary = summary('load')`.
 * k6 itself still decides the exit code: 99 when a threshold failed.
 * `extra` adds a script's own facts (stress: the rate it reached) to both.
 */

export interface Metric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: 'default' | 'time' | 'data';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

interface Check {
  name: string;
  passes: number;
  fails: number;
}

interface Group {
  checks: Check[];
  groups: Group[];
}

interface SummaryData {
  metrics: Record<string, Metric>;
  root_group: Group;
  state: { testRunDurationMs: number };
}

export interface ThresholdResult {
  metric: string;
  threshold: string;
  ok: boolean;
  /** The value the threshold compared (ms for times, 0..1 for rates). */
  value: number | null;
}

export interface EndpointResult {
  requests: number;
  failedRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** The shape of `<script>-summary.json`. */
export interface RunSummary {
  script: string;
  finishedAt: string;
  baseUrl: string;
  jaegerUrl: string;
  seed: number;
  /** Every threshold held (k6 exits 0). */
  passed: boolean;
  durationS: number;
  iterations: number;
  requests: number;
  thresholds: ThresholdResult[];
  checks: { passes: number; fails: number; rate: number | null; failing: Check[] };
  endpoints: Partial<Record<Endpoint, EndpointResult>>;
  checkouts: { paid: number; declined: number; perS: number; slow: number; okRate: number | null };
  /** The script's own facts (see `summary(script, extra)`). */
  extra: Record<string, string | number>;
  /** How to get from a number here to a trace. */
  traces: string;
  /** k6's own end-of-test data, unchanged. */
  k6: Record<string, Metric>;
}

export function summary(script: string, extra?: (metrics: Record<string, Metric>) => Record<string, string | number>) {
  return (data: SummaryData): Record<string, string> => {
    const result = toRunSummary(script, data, extra?.(data.metrics) ?? {});
    return {
      stdout: render(result),
      [`${SUMMARY_DIR}/${script}-summary.json`]: JSON.stringify(result, null, 2),
    };
  };
}

export function toRunSummary(script: string, data: SummaryData, extra: Record<string, string | number> = {}): RunSummary {
  const m = data.metrics;
  const thresholds: ThresholdResult[] = [];
  for (const [metric, values] of Object.entries(m)) {
    for (const [threshold, { ok }] of Object.entries(values.thresholds ?? {})) {
      thresholds.push({ metric, threshold, ok, value: thresholdValue(values, threshold) });
    }
  }
  thresholds.sort((a, b) => Number(a.ok) - Number(b.ok) || a.metric.localeCompare(b.metric));

  const endpoints: Partial<Record<Endpoint, EndpointResult>> = {};
  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    const duration = m[`http_req_duration{endpoint:${endpoint}}`]?.values;
    const failed = m[`http_req_failed{endpoint:${endpoint}}`]?.values;
    const requests = duration?.count ?? (failed ? failed.passes + failed.fails : 0);
    if (!requests) continue;
    endpoints[endpoint] = {
      requests,
      failedRate: failed?.rate ?? null,
      p50Ms: duration?.med ?? null,
      p95Ms: duration?.['p(95)'] ?? null,
      p99Ms: duration?.['p(99)'] ?? null,
      maxMs: duration?.max ?? null,
    };
  }

  const checks = allChecks(data.root_group);
  const durationS = data.state.testRunDurationMs / 1000;
  const paid = m.checkouts_paid?.values.count ?? 0;
  const declined = m.checkouts_declined?.values.count ?? 0;
  const passes = checks.reduce((n, c) => n + c.passes, 0);
  const fails = checks.reduce((n, c) => n + c.fails, 0);
  return {
    script,
    finishedAt: new Date().toISOString(),
    baseUrl: BASE_URL,
    jaegerUrl: JAEGER_URL,
    seed: SEED,
    passed: thresholds.every((t) => t.ok),
    durationS: round(durationS),
    iterations: m.iterations?.values.count ?? 0,
    requests: m.http_reqs?.values.count ?? 0,
    thresholds,
    checks: { passes, fails, rate: passes + fails > 0 ? passes / (passes + fails) : null, failing: checks.filter((c) => c.fails > 0) },
    endpoints,
    checkouts: {
      paid,
      declined,
      perS: durationS > 0 ? round((paid + declined) / durationS) : 0,
      slow: m.slow_checkouts?.values.count ?? 0,
      okRate: m.checkout_ok?.values.rate ?? null,
    },
    extra,
    traces:
      'Every request carried its own traceparent. Failed checks and slow checkouts were printed during the run as ' +
      `"trace_id=<id> ${JAEGER_URL}/trace/<id> (npm run trace -- <id>)"; run k6 with --out json=<file> to get metadata.trace_id on every sample.`,
    k6: m,
  };
}

function render(r: RunSummary): string {
  const lines: string[] = [];
  const failedCount = r.thresholds.filter((t) => !t.ok).length;
  lines.push('', `TraceShop k6 ${r.script}: ${r.iterations} iterations, ${r.requests} requests in ${r.durationS} s against ${r.baseUrl} (seed ${r.seed})`, '');

  lines.push('Thresholds');
  for (const t of r.thresholds) {
    lines.push(`  ${t.ok ? 'ok  ' : 'FAIL'}  ${pad(t.metric, 44)} ${pad(t.threshold, 16)} ${formatValue(t)}`);
  }

  lines.push('', `Endpoints                          ${lpad('requests', 9)} ${lpad('failed', 8)} ${lpad('p50', 9)} ${lpad('p95', 9)} ${lpad('p99', 9)} ${lpad('max', 9)}`);
  for (const [endpoint, e] of Object.entries(r.endpoints) as [Endpoint, EndpointResult][]) {
    lines.push(
      `  ${pad(ENDPOINTS[endpoint], 32)} ${lpad(String(e.requests), 9)} ${lpad(percent(e.failedRate), 8)} ${lpad(ms(e.p50Ms), 9)} ${lpad(ms(e.p95Ms), 9)} ${lpad(ms(e.p99Ms), 9)} ${lpad(ms(e.maxMs), 9)}`,
    );
  }

  lines.push('', `Checks: ${r.checks.passes} passed, ${r.checks.fails} failed (${percent(r.checks.rate)})`);
  for (const c of r.checks.failing) lines.push(`  FAIL  ${c.name}: ${c.fails} of ${c.passes + c.fails}`);
  const c = r.checkouts;
  lines.push(`Checkouts: ${c.paid} paid, ${c.declined} declined (expected 402s), ${c.perS}/s over the run, ${c.slow} slow; answered as intended: ${percent(c.okRate)}`);
  for (const [key, value] of Object.entries(r.extra)) lines.push(`${key}: ${value}`);
  if (r.checks.fails > 0 || c.slow > 0) lines.push(`Traces: the failed checks and slow checkouts are printed above with their Jaeger links (${r.jaegerUrl}/trace/<id>).`);

  lines.push('', failedCount === 0 ? 'RESULT: all thresholds held' : `RESULT: ${failedCount} threshold(s) FAILED (k6 exits 99)`);
  lines.push(`JSON summary: ${SUMMARY_DIR}/${r.script}-summary.json`, '');
  return lines.join('\n');
}

/** The statistic a threshold expression compares, e.g. `p(95)` in `p(95)<800`, `rate` in `rate<=0.01`. */
function thresholdValue(metric: Metric, threshold: string): number | null {
  const stat = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)/.exec(threshold)?.[1];
  if (!stat) return null;
  const value = metric.values[stat === 'p(50)' ? 'med' : stat];
  return value === undefined ? null : round(value);
}

function formatValue(t: ThresholdResult): string {
  if (t.value === null) return 'no data';
  if (/^rate/.test(t.threshold)) return percent(t.value);
  if (/^(p\(|avg|med|min|max)/.test(t.threshold)) return ms(t.value);
  return String(t.value);
}

function allChecks(group: Group): Check[] {
  return [...group.checks, ...group.groups.flatMap(allChecks)];
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const percent = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(2)}%`);
const ms = (value: number | null) => (value === null ? '-' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(1)} ms`);
