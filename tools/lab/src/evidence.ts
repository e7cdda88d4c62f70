import { findTraces, type JaegerSpan, type JaegerTrace } from '@traceshop/testing';

/**
 * The traces of one lab run, read back from Jaeger: what the graders judge answers against. A
 * question is right when the traces of *this* run say so, not when it matches a string.
 */

const SERVICES = ['gateway', 'auth', 'cart', 'inventory', 'payment', 'payment-provider'];

/** A run of a lab's incident traffic: its time window and the trace ids k6 printed. */
export interface LabRun {
  startedMs: number;
  endedMs: number;
  traceIds: string[];
  /** k6's exit code: 0 thresholds green, 99 one red. */
  k6Code: number | null;
  /** The thresholds that went red, as `metric threshold (value)`. */
  red?: string[];
  /** Every answer k6 printed with its time (`printTrace`: `…: 201 in 1334 ms trace_id=…`), what k6 saw. */
  answers?: { traceId: string; status: number; ms: number }[];
}

export interface Located {
  trace: JaegerTrace;
  span: JaegerSpan;
}

export class Evidence {
  /** `run`: the k6 run the traces are of, for what only k6 saw (a trace sampling dropped). */
  constructor(
    readonly traces: JaegerTrace[],
    readonly run?: LabRun,
  ) {}

  /**
   * Every trace that started within the run (a little after it too: the outbox relays and the
   * dead-lettering finish after k6 does), from every service, each once.
   */
  static async load(jaegerUrl: string, run: LabRun): Promise<Evidence> {
    const byId = new Map<string, JaegerTrace>();
    for (const service of SERVICES) {
      const found = await findTraces(jaegerUrl, { service, startMs: run.startedMs - 1_000, endMs: run.endedMs + 30_000, limit: 1_000 });
      for (const t of found) if (!byId.has(t.traceID) || byId.get(t.traceID)!.spans.length < t.spans.length) byId.set(t.traceID, t);
    }
    return new Evidence([...byId.values()], run);
  }

  /** Traces whose root is `operation` of `service` (e.g. gateway `POST /api/checkout`). */
  rootedAt(service: string, operation?: string): JaegerTrace[] {
    return this.traces.filter((t) => {
      const root = rootOf(t);
      return root !== undefined && serviceOf(t, root) === service && (operation === undefined || root.operationName === operation);
    });
  }

  checkouts(): JaegerTrace[] {
    return this.rootedAt('gateway', 'POST /api/checkout');
  }

  /** A span given by its id (16 hex digits, upper or lower case, with or without spaces around). */
  findSpan(id: string): Located | undefined {
    const wanted = id.trim().toLowerCase().padStart(16, '0');
    for (const trace of this.traces) {
      const span = trace.spans.find((s) => s.spanID.toLowerCase().padStart(16, '0') === wanted);
      if (span) return { trace, span };
    }
    return undefined;
  }

  findTrace(id: string): JaegerTrace | undefined {
    const wanted = id.trim().toLowerCase().padStart(32, '0');
    return this.traces.find((t) => t.traceID.toLowerCase().padStart(32, '0') === wanted);
  }
}

export function tag(span: JaegerSpan, key: string): string | number | boolean | undefined {
  return span.tags.find((t) => t.key === key)?.value;
}

export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string {
  return trace.processes[span.processID]?.serviceName ?? '';
}

export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

/** The span whose parent is not in the trace and that started first (a connected trace has one). */
export function rootOf(trace: JaegerTrace): JaegerSpan | undefined {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  return trace.spans.filter((s) => !ids.has(parentOf(s) ?? '')).sort((a, b) => a.startTime - b.startTime)[0];
}

export function childrenOf(trace: JaegerTrace, span: JaegerSpan): JaegerSpan[] {
  return trace.spans.filter((s) => parentOf(s) === span.spanID);
}

/** `span` and everything under it. */
export function subtree(trace: JaegerTrace, span: JaegerSpan): JaegerSpan[] {
  return [span, ...childrenOf(trace, span).flatMap((c) => subtree(trace, c))];
}

export function isError(span: JaegerSpan): boolean {
  return tag(span, 'error') === true || tag(span, 'otel.status_code') === 'ERROR';
}

/** A Postgres query (old or stable semantic conventions); pool, connect and Redis spans are not. */
export function isQuery(span: JaegerSpan): boolean {
  return (tag(span, 'db.system.name') ?? tag(span, 'db.system')) === 'postgresql' && queryText(span) !== undefined;
}

export function queryText(span: JaegerSpan): string | undefined {
  const text = tag(span, 'db.query.text') ?? tag(span, 'db.statement');
  return text === undefined ? undefined : String(text);
}

export function kindOf(span: JaegerSpan): string | undefined {
  const kind = tag(span, 'span.kind');
  return kind === undefined ? undefined : String(kind);
}

/** The HTTP status a server or client span recorded. */
export function httpStatus(span: JaegerSpan): number | undefined {
  const status = tag(span, 'http.response.status_code') ?? tag(span, 'http.status_code');
  return status === undefined ? undefined : Number(status);
}

/** The most frequent value (the first of equals). */
export function mode(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
