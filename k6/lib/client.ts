import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import type { RefinedResponse, ResponseType } from 'k6/http';
import { BASE_URL, envInt } from './config.ts';
import { jaegerLink, newTraceContext, TRACEPARENT_MODE, type TraceContext } from './traceparent.ts';

/**
 * The one way the scripts talk to the gateway. Every request:
 * - carries a fresh `traceparent` (lib/traceparent.ts), and its trace id is put in the VU's
 *   metrics metadata while the request runs, so each sample k6 emits (`--out json`, ...) carries
 *   `metadata.trace_id`: any point on a graph leads to its trace;
 * - is tagged `endpoint` (thresholds are per endpoint) and `name` (the route, not the URL, so ids
 *   in paths don't make one time series per order);
 * - is checked: the status it should have, and that the gateway continued our trace
 *   (`x-trace-id` is the id we sent). A failed check prints the trace id and the Jaeger link.
 */

/** The `endpoint` tag values, one per route of the public API. */
export type Endpoint = 'register' | 'login' | 'products' | 'cart_get' | 'cart_put' | 'cart_delete' | 'checkout' | 'order';

export const ENDPOINTS: Record<Endpoint, string> = {
  register: 'POST /api/auth/register',
  login: 'POST /api/auth/login',
  products: 'GET /api/products',
  cart_get: 'GET /api/cart',
  cart_put: 'PUT /api/cart/items/:sku',
  cart_delete: 'DELETE /api/cart/items/:sku',
  checkout: 'POST /api/checkout',
  order: 'GET /api/orders/:id',
};

export interface Call {
  endpoint: Endpoint;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  token?: string;
  /** Statuses that are an answer, not a failure (default [200]): they decide http_req_failed. */
  expected?: number[];
  /** Statuses the check accepts (default `expected`): a poll may expect 404 yet want 200 in the end. */
  ok?: number[];
  /** Extra checks on the response, by name. */
  checks?: Record<string, (res: RefinedResponse<ResponseType>) => boolean>;
}

export interface Answer {
  res: RefinedResponse<ResponseType>;
  /** The context the request carried (with TRACEPARENT=none: made, but not sent). */
  trace: TraceContext;
  /** The trace the request is in: ours, or with TRACEPARENT=none the gateway's `x-trace-id`. */
  traceId: string;
  /** Whether every check held. */
  ok: boolean;
}

const REQUEST_TIMEOUT = `${envInt('REQUEST_TIMEOUT_S', 30)}s`;
/** At most this many trace lines per VU, so a broken run stays readable. */
const MAX_TRACE_LOGS = envInt('MAX_TRACE_LOGS', 10);
let traceLogs = 0;

export function call(c: Call): Answer {
  const trace = newTraceContext();
  const expected = c.expected ?? [200];
  const traced = TRACEPARENT_MODE !== 'none';
  const headers: Record<string, string> = traced ? { traceparent: trace.traceparent } : {};
  if (c.body !== undefined) headers['content-type'] = 'application/json';
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  const tags = { endpoint: c.endpoint, name: ENDPOINTS[c.endpoint] };

  if (traced) exec.vu.metrics.metadata.trace_id = trace.traceId;
  let res: RefinedResponse<ResponseType>;
  try {
    res = http.request(c.method, `${BASE_URL}${c.path}`, c.body === undefined ? null : JSON.stringify(c.body), {
      headers,
      tags,
      timeout: REQUEST_TIMEOUT,
      responseCallback: http.expectedStatuses(...expected),
    });
  } finally {
    delete exec.vu.metrics.metadata.trace_id;
  }

  const okStatuses = c.ok ?? expected;
  const sets: Record<string, (r: RefinedResponse<ResponseType>) => boolean> = {
    [`${c.endpoint}: status ${okStatuses.join('|')}`]: (r) => okStatuses.includes(r.status),
    ...(traced ? { 'gateway continued our trace': (r: RefinedResponse<ResponseType>) => r.headers['X-Trace-Id'] === trace.traceId } : {}),
    ...c.checks,
  };
  const failed = Object.entries(sets)
    .filter(([, predicate]) => !safe(predicate, res))
    .map(([name]) => name);
  // check() records every set, passes too, from the verdicts above (a predicate runs only once).
  check(res, Object.fromEntries(Object.keys(sets).map((name) => [name, () => !failed.includes(name)])), tags);
  const traceId = traced ? trace.traceId : String(res.headers['X-Trace-Id'] ?? 'none');
  // A request cut off because the test is stopping (an aborting threshold, Ctrl-C) is no finding.
  const stopping = res.error?.includes('context canceled');
  if (failed.length > 0 && !stopping) logTrace(`${ENDPOINTS[c.endpoint]} -> ${res.status}${res.error ? ` (${res.error})` : ''}: failed ${failed.join(', ')}`, traceId);
  return { res, trace, traceId, ok: failed.length === 0 };
}

/** Prints one line a person can follow from the console to the trace. */
export function logTrace(what: string, traceId: string): void {
  if (traceLogs >= MAX_TRACE_LOGS) return;
  traceLogs += 1;
  const suffix = traceLogs === MAX_TRACE_LOGS ? ` (last trace line of this VU; MAX_TRACE_LOGS=${MAX_TRACE_LOGS})` : '';
  // The Jaeger UI link (compose), and the same trace in the terminal (natively, where Jaeger has no UI).
  console.warn(`${what} trace_id=${traceId} ${jaegerLink(traceId)} (npm run trace -- ${traceId})${suffix}`);
}

/** The JSON body of an answer, or undefined when it has none. */
export function json<T>(res: RefinedResponse<ResponseType>): T | undefined {
  try {
    return res.json() as T;
  } catch {
    return undefined;
  }
}

function safe(predicate: (r: RefinedResponse<ResponseType>) => boolean, res: RefinedResponse<ResponseType>): boolean {
  try {
    return predicate(res);
  } catch {
    return false;
  }
}
