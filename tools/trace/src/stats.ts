import { duration, type Paint, percent, serviceStyles } from './format';
import { table } from './tables';

// `npm run trace -- --stats`: RED per service and operation (rate, errors, duration) from the
// Collector's span metrics, the Prometheus endpoint of its spanmetrics connector, which counts
// 100% of the spans before any sampling. Natively there is no Prometheus and no Jaeger UI (its
// Monitor tab is compose's): this reads the endpoint itself. The counters are cumulative since
// the Collector started; rate, errors and percentiles are over the last interval, the difference
// of two reads.

/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The cumulative counts of one operation: a service's spans of one name and kind. */
export interface OperationCounts {
  service: string;
  operation: string;
  kind: string;
  calls: number;
  errors: number;
  /** Cumulative histogram: spans at most `le` ms long, ascending, the last one Infinity. */
  buckets: { le: number; count: number }[];
}

/** RED of one operation over a window, and its calls since the Collector started. */
export interface OperationStats {
  service: string;
  operation: string;
  kind: string;
  total: number;
  calls: number;
  perSecond: number;
  errors: number;
  /** ms; Infinity: above the highest bucket bound (`ceilingMs`). Undefined without calls in the window. */
  p50?: number;
  p95?: number;
  p99?: number;
  ceilingMs: number;
}

/** What a service is asked to do: requests it serves and messages it consumes (Jaeger's Monitor shows server spans). */
const KINDS: Record<string, string> = { SPAN_KIND_SERVER: 'server', SPAN_KIND_CONSUMER: 'consumer' };
const CALLS = /calls(_total)?$/;
const DURATION = /duration(_milliseconds|_seconds)?_bucket$/;

/** Parses the Prometheus text exposition format (comments skipped, escapes in label values undone). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The span metrics of server and consumer spans, by service, operation and kind. */
export function spanMetrics(samples: Sample[]): Map<string, OperationCounts> {
  const ops = new Map<string, OperationCounts>();
  const op = (labels: Record<string, string>) => {
    const kind = KINDS[labels.span_kind];
    if (!kind || !labels.service_name) return undefined;
    const key = `${labels.service_name}\u0000${labels.span_name}\u0000${kind}`;
    if (!ops.has(key)) ops.set(key, { service: labels.service_name, operation: labels.span_name, kind, calls: 0, errors: 0, buckets: [] });
    return ops.get(key)!;
  };
  for (const s of samples) {
    const m = DURATION.exec(s.name);
    if (!CALLS.test(s.name) && !m) continue;
    const o = op(s.labels);
    if (!o) continue;
    if (!m) {
      o.calls += s.value;
      if (s.labels.status_code === 'STATUS_CODE_ERROR') o.errors += s.value;
      continue;
    }
    // One histogram per status code: their buckets add up.
    const le = Number(s.labels.le === '+Inf' ? Infinity : s.labels.le) * (m[1] === '_seconds' ? 1000 : 1);
    const bucket = o.buckets.find((b) => b.le === le);
    if (bucket) bucket.count += s.value;
    else o.buckets.push({ le, count: s.value });
  }
  for (const o of ops.values()) o.buckets.sort((a, b) => a.le - b.le);
  return ops;
}

/**
 * The window from `before` to `after` (`seconds` apart), per operation. A counter that went down
 * means the Collector restarted: the window then counts from zero.
 */
export function windowStats(before: Map<string, OperationCounts>, after: Map<string, OperationCounts>, seconds: number): OperationStats[] {
  const rows: OperationStats[] = [];
  for (const [key, now] of after) {
    const then = before.get(key);
    const restarted = !then || now.calls < then.calls;
    const calls = restarted ? now.calls : now.calls - then.calls;
    const buckets = now.buckets.map((b) => ({ le: b.le, count: b.count - (restarted ? 0 : (then.buckets.find((t) => t.le === b.le)?.count ?? 0)) }));
    rows.push({
      service: now.service,
      operation: now.operation,
      kind: now.kind,
      total: now.calls,
      calls,
      perSecond: calls / seconds,
      errors: restarted ? now.errors : now.errors - then.errors,
      p50: quantile(0.5, buckets),
      p95: quantile(0.95, buckets),
      p99: quantile(0.99, buckets),
      ceilingMs: Math.max(0, ...buckets.map((b) => b.le).filter((le) => le !== Infinity)),
    });
  }
  return rows.sort((a, b) => a.service.localeCompare(b.service) || b.total - a.total || a.operation.localeCompare(b.operation));
}

/**
 * The q-quantile of a cumulative histogram, as Prometheus's histogram_quantile: linear within
 * the bucket it falls in; in the +Inf bucket, Infinity (above the highest bound).
 */
export function quantile(q: number, buckets: { le: number; count: number }[]): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) return le === Infinity ? Infinity : lower + ((le - lower) * (rank - below)) / (count - below || 1);
    lower = le;
    below = count;
  }
  return Infinity;
}

/** The table: one line per operation, the window's numbers and the calls since the Collector started. */
export function renderStats(rows: OperationStats[], window: { seconds: number; url: string; at: Date }, paint: Paint): string {
  const style = serviceStyles(rows.map((r) => r.service));
  const ms = (v: number | undefined, r: OperationStats) => (v === undefined ? '-' : v === Infinity ? `>${duration(r.ceilingMs * 1000)}` : duration(v * 1000));
  const body = table(
    [
      ['service', 'operation', 'kind', 'calls', 'req/s', 'errors', 'p50', 'p95', 'p99'],
      ...rows.map((r) => [
        r.service,
        r.operation,
        r.kind,
        String(r.total),
        r.perSecond.toFixed(1),
        r.calls === 0 ? '-' : `${r.errors} ${percent(r.errors / r.calls)}`,
        ms(r.p50, r),
        ms(r.p95, r),
        ms(r.p99, r),
      ]),
    ],
    [3, 4, 5, 6, 7, 8],
  );
  const [head, ...lines] = body;
  return [
    paint('bold', `span metrics at ${window.url}, ${window.at.toISOString().replace('T', ' ').slice(0, 19)} UTC`),
    paint('dim', `req/s, errors and p50/p95/p99 over the last ${window.seconds} s; calls since the Collector started`),
    '',
    paint('dim', head),
    ...lines.map((line, i) => {
      const r = rows[i];
      const coloured = line.replace(r.service, paint(style(r.service), r.service));
      return r.errors > 0 ? paint('red', coloured) : coloured;
    }),
    '',
  ].join('\n');
}

/** What `watchStats` prints to. */
export interface StatsIO {
  out(text: string): void;
  err(text: string): void;
  /** A terminal: redraw every interval until Ctrl-C. Otherwise: one window, printed once. */
  live: boolean;
  json: boolean;
  paint: Paint;
}

// Home, then clear the screen: each window replaces the last.
const REDRAW = '\x1b[H\x1b[2J';

/**
 * Reads the span metrics, waits `intervalS`, reads again and prints the window; on a terminal
 * again and again. Returns the exit code: 1 when no span has been counted, 2 when the endpoint
 * does not answer (the message says where it looked).
 */
export async function watchStats({ metricsUrl, intervalS }: { metricsUrl: string; intervalS: number }, io: StatsIO): Promise<number> {
  try {
    let before = await readSpanMetrics(metricsUrl);
    let since = Date.now();
    io.err(`trace: span metrics from ${metricsUrl}, a window every ${intervalS} s${io.live ? ' (Ctrl-C stops)' : ''}\n`);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, intervalS * 1000));
      const after = await readSpanMetrics(metricsUrl);
      const now = Date.now();
      const rows = windowStats(before, after, (now - since) / 1000);
      if (io.json) io.out(`${JSON.stringify(rows, null, 2)}\n`);
      else io.out(`${io.live ? REDRAW : ''}${rows.length > 0 ? renderStats(rows, { seconds: intervalS, url: metricsUrl, at: new Date(now) }, io.paint) : 'no server or consumer span counted yet\n'}`);
      if (!io.live) return rows.length > 0 ? 0 : 1;
      [before, since] = [after, now];
    }
  } catch (e) {
    io.err(`trace: ${(e as Error).message}; set TRACESHOP_SPANMETRICS_URL or --metrics-url (is the stack running? npm start; in compose, Jaeger's Monitor tab shows the same)\n`);
    return 2;
  }
}

/** The span metrics now, by operation. Throws with the URL when the endpoint does not answer. */
export async function readSpanMetrics(url: string): Promise<Map<string, OperationCounts>> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach the Collector's span metrics at ${url} (${cause?.code ?? cause?.message ?? (e as Error).message})`);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: is it the Collector's spanmetrics port? (${text.slice(0, 120)})`);
  return spanMetrics(parsePrometheus(text));
}
