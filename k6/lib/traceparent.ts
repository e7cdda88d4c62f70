import { JAEGER_URL } from './config.ts';

/*
 * W3C Trace Context for requests k6 makes. k6 1.x no longer ships its tracing module; these few
 * lines replace it: every request gets a fresh `traceparent` (version 00, a random trace id, a
 * random parent id, sampled), so the gateway continues *our* trace and the id the script knows is
 * the id Jaeger shows. The ids come from the crypto RNG, not the seeded one: a seeded stream would
 * repeat trace ids from run to run, and Jaeger would merge those runs into one trace.
 */

/**
 * TRACEPARENT chooses what requests carry:
 *   sampled    (default) a fresh traceparent with the sampled flag: every request is traced
 *   unsampled  the same with flags 00: parent-based samplers drop it (nothing reaches Jaeger)
 *   none       no header: the gateway starts the trace and its sampler decides (the overhead bench)
 */
export type TraceparentMode = 'sampled' | 'unsampled' | 'none';
export const TRACEPARENT_MODE: TraceparentMode = traceparentMode(__ENV.TRACEPARENT || 'sampled');

export interface TraceContext {
  traceId: string;
  /** The span id of the (never exported) k6 client span: the parent of the gateway's span. */
  spanId: string;
  traceparent: string;
}

export function newTraceContext(): TraceContext {
  const traceId = randomHex(16);
  const spanId = randomHex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${TRACEPARENT_MODE === 'unsampled' ? '00' : '01'}` };
}

/** Where a person opens the trace (the Jaeger UI; the query API is at /api/traces/<id>). */
export function jaegerLink(traceId: string): string {
  return `${JAEGER_URL}/trace/${traceId}`;
}

function traceparentMode(raw: string): TraceparentMode {
  if (raw !== 'sampled' && raw !== 'unsampled' && raw !== 'none') throw new Error(`TRACEPARENT must be sampled, unsampled or none; got "${raw}"`);
  return raw;
}

/** Random lower-case hex of `bytes` bytes from the crypto RNG (never all zeros). */
export function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  // All-zero ids are invalid in W3C Trace Context; at 2^-64 odds, draw again rather than send one.
  do crypto.getRandomValues(buf);
  while (buf.every((b) => b === 0));
  let hex = '';
  for (const b of buf) hex += (b < 16 ? '0' : '') + b.toString(16);
  return hex;
}
