import type { JaegerTrace } from '@traceshop/testing';
import type { SearchOptions } from './options';

// The CLI's only I/O with Jaeger: its HTTP query API (`/api/traces`), which Jaeger v2 serves
// on the query port. The testing lib's getTrace/findTraces poll and throw alike on a missing
// trace and a dead Jaeger; a person needs the two told apart (exit 1 against exit 2).

/** Jaeger did not answer, or answered something other than its API: exit 2, saying where. */
export class JaegerUnreachable extends Error {}

interface JaegerAnswer {
  data: JaegerTrace[] | null;
  errors?: { code: number; msg: string }[] | null;
}

const TIMEOUT_MS = 15_000;

async function get(url: URL): Promise<{ status: number; body: JaegerAnswer | undefined }> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new JaegerUnreachable(`cannot reach Jaeger at ${url.origin} (${cause?.code ?? cause?.message ?? (e as Error).message})`);
  }
  const text = await res.text();
  let body: JaegerAnswer | undefined;
  try {
    body = JSON.parse(text) as JaegerAnswer;
  } catch {
    throw new JaegerUnreachable(`${url.origin} answered ${res.status} without JSON: is it Jaeger's query port? (${text.slice(0, 120)})`);
  }
  return { status: res.status, body };
}

/** Trace `id`, or undefined when Jaeger has none (yet). */
export async function fetchTrace(jaegerUrl: string, id: string): Promise<JaegerTrace | undefined> {
  const url = new URL(`/api/traces/${encodeURIComponent(id)}`, jaegerUrl);
  const { status, body } = await get(url);
  if (status === 404) return undefined;
  if (status !== 200) throw new JaegerUnreachable(`GET ${url} answered ${status}: ${body?.errors?.map((e) => e.msg).join('; ') ?? ''}`);
  return body?.data?.[0];
}

/** Jaeger's search: the recent traces matching `search` (every span of each), newest first. */
export async function searchTraces(jaegerUrl: string, search: SearchOptions, now = Date.now()): Promise<JaegerTrace[]> {
  const url = new URL('/api/traces', jaegerUrl);
  const params = url.searchParams;
  params.set('service', search.service);
  if (search.operation) params.set('operation', search.operation);
  if (search.minDuration) params.set('minDuration', search.minDuration);
  if (search.maxDuration) params.set('maxDuration', search.maxDuration);
  if (Object.keys(search.tags).length > 0) params.set('tags', JSON.stringify(search.tags));
  params.set('end', String(now * 1000));
  params.set('start', String(now * 1000 - search.sinceUs));
  // Jaeger v2 cannot search the `error` tag (it derives it from the span status and does not
  // index it), so --error filters here, from a larger sample.
  params.set('limit', String(search.error ? Math.max(100, search.limit * 5) : search.limit));
  const { status, body } = await get(url);
  if (status !== 200) throw new JaegerUnreachable(`GET ${url} answered ${status}: ${body?.errors?.map((e) => e.msg).join('; ') ?? ''}`);
  const earliest = (t: JaegerTrace) => Math.min(...t.spans.map((s) => s.startTime));
  return (body?.data ?? []).sort((a, b) => earliest(b) - earliest(a));
}

/** Options of `waitForTrace`. */
export interface WaitOptions {
  /** The trace has stopped growing after this long without a new span (default 3 s). */
  quietMs?: number;
  /** Give up waiting (and show what there is) after this long (default 60 s). */
  timeoutMs?: number;
  /** Told each time the span count changes. */
  onGrow?: (spans: number) => void;
}

/**
 * Polls trace `id` until it exists and has not grown for `quietMs`: the SDKs export in batches,
 * the Collector batches again, and consumers run after the request has answered, so a trace
 * keeps growing for a moment. Resolves with the last answer (undefined: it never appeared).
 */
export async function waitForTrace(jaegerUrl: string, id: string, options: WaitOptions = {}): Promise<JaegerTrace | undefined> {
  const { quietMs = 3_000, timeoutMs = 60_000, onGrow } = options;
  const deadline = Date.now() + timeoutMs;
  let trace: JaegerTrace | undefined;
  let count = -1;
  let grewAt = Date.now();
  for (;;) {
    trace = (await fetchTrace(jaegerUrl, id)) ?? trace;
    const n = trace?.spans.length ?? 0;
    if (n !== count) {
      count = n;
      grewAt = Date.now();
      if (n > 0) onGrow?.(n);
    } else if (n > 0 && Date.now() - grewAt >= quietMs) {
      return trace;
    }
    if (Date.now() >= deadline) return trace;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
