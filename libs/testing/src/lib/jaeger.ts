import { waitFor } from './poll';

// The shapes below are those of Jaeger's HTTP query API (`/api/traces...`, the one its UI uses),
// which Jaeger v2 still serves on the query port (16686 by default). Times are microseconds.

/** A key/value on a span, a process or a log. `type` is Jaeger's: string, bool, int64, float64, binary. */
export interface JaegerTag {
  key: string;
  type: string;
  value: string | number | boolean;
}

/** A span's link to another: CHILD_OF is its parent, FOLLOWS_FROM a span link. */
export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

/** A span event (Jaeger calls them logs). */
export interface JaegerLog {
  timestamp: number;
  fields: JaegerTag[];
}

/** One span as Jaeger returns it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: JaegerReference[];
  /** Microseconds since the epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerTag[];
  logs: JaegerLog[];
  /** Key into `JaegerTrace.processes`: which service emitted the span. */
  processID: string;
  warnings?: string[] | null;
  flags?: number;
}

/** The emitter of spans: the service (its `service.name`) and its resource attributes. */
export interface JaegerProcess {
  serviceName: string;
  tags: JaegerTag[];
}

/** One trace: its spans and the processes (`p1`, `p2`, ...) they came from. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings?: string[] | null;
}

interface JaegerResponse {
  data: JaegerTrace[] | null;
  errors?: { code: number; msg: string }[] | null;
}

/** Options of `getTrace`. */
export interface GetTraceOptions {
  /** Keep polling until this holds (default: the trace has at least one span). */
  until?: (trace: JaegerTrace) => boolean;
  /** Deadline in milliseconds (default 20 000). */
  timeoutMs?: number;
}

/**
 * Fetches trace `traceId` (32 hex digits) from Jaeger, polling until it exists and `until` holds.
 * Spans arrive in batches (SDK, then Collector), so a trace grows for a moment after the
 * request that made it has answered: wait for the spans the test needs, e.g.
 * `until: (t) => t.spans.length >= 5`. Throws at the deadline.
 */
export async function getTrace(jaegerUrl: string, traceId: string, options: GetTraceOptions = {}): Promise<JaegerTrace> {
  const { until = (t: JaegerTrace) => t.spans.length > 0, timeoutMs = 20_000 } = options;
  const url = new URL(`/api/traces/${encodeURIComponent(traceId)}`, jaegerUrl);
  const trace = await waitFor(
    async () => {
      const res = await fetch(url);
      // 404 until the first span of the trace has been stored.
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as JaegerResponse).data?.[0];
    },
    (t) => t !== undefined && until(t),
    { timeoutMs, what: `trace ${traceId} in Jaeger` },
  );
  return trace!;
}

/** Options of `findTraces`: the search form of Jaeger's UI. */
export interface FindTracesOptions {
  service: string;
  operation?: string;
  /** How far back to look: Jaeger's syntax, e.g. '15m', '1h' (default '1h'). */
  lookback?: string;
  /** At most this many traces (default 20). */
  limit?: number;
  /** Only traces with a span carrying all these tags (string match). */
  tags?: Record<string, string>;
  /** A window instead of `lookback`: traces that started between these times (ms since the epoch). */
  startMs?: number;
  endMs?: number;
}

/** Searches Jaeger's recent traces of one service (one request, no polling: wrap it in `waitFor`). */
export async function findTraces(jaegerUrl: string, options: FindTracesOptions): Promise<JaegerTrace[]> {
  const url = new URL('/api/traces', jaegerUrl);
  url.searchParams.set('service', options.service);
  if (options.operation) url.searchParams.set('operation', options.operation);
  if (options.startMs !== undefined) {
    // Jaeger's start/end are microseconds.
    url.searchParams.set('start', String(options.startMs * 1000));
    url.searchParams.set('end', String((options.endMs ?? Date.now()) * 1000));
  } else {
    url.searchParams.set('lookback', options.lookback ?? '1h');
  }
  url.searchParams.set('limit', String(options.limit ?? 20));
  if (options.tags) url.searchParams.set('tags', JSON.stringify(options.tags));
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as JaegerResponse).data ?? [];
}

/** The `service.name` that emitted `span`. */
export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string {
  return trace.processes[span.processID]?.serviceName ?? '';
}

/** The span ID of `span`'s parent, or undefined for a root span. */
export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

/** Spans without a parent in this trace. A connected trace has exactly one. */
export function roots(trace: JaegerTrace): JaegerSpan[] {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  return trace.spans.filter((s) => {
    const parent = parentOf(s);
    return parent === undefined || !ids.has(parent);
  });
}

/** The spans emitted by `service`, in start order. */
export function spansOf(trace: JaegerTrace, service: string): JaegerSpan[] {
  return trace.spans.filter((s) => serviceOf(trace, s) === service).sort((a, b) => a.startTime - b.startTime);
}

/** The value of tag `key` on `span` (span attributes, plus Jaeger's own like `span.kind`), if any. */
export function tag(span: JaegerSpan, key: string): string | number | boolean | undefined {
  return span.tags.find((t) => t.key === key)?.value;
}
