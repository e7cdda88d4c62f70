import { randomBytes } from 'node:crypto';

/** What `otlpSpan` makes: one span as OTLP/JSON writes it. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  events: { timeUnixNano: string; name: string; attributes: OtlpAttribute[] }[];
  status?: { code: number };
}

interface OtlpAttribute {
  key: string;
  value: { stringValue: string };
}

/** A span `otlpSpan` makes: its name (default `span`), kind (default 2, server), how long it took, its string attributes and events, and whether it failed (status ERROR, else OK; unset when not given). */
export interface OtlpSpanOptions {
  name?: string;
  kind?: number;
  durationMs?: number;
  attributes?: Record<string, string>;
  events?: { name: string; attributes?: Record<string, string> }[];
  failed?: boolean;
}

const attributesOf = (attributes: Record<string, string>): OtlpAttribute[] => Object.entries(attributes).map(([key, value]) => ({ key, value: { stringValue: value } }));

/** One span of a trace of its own, ending now, for tests that talk OTLP to a Collector themselves. */
export function otlpSpan({ name = 'span', kind = 2, durationMs = 5, attributes = {}, events = [], failed }: OtlpSpanOptions = {}): OtlpSpan {
  const end = BigInt(Date.now()) * 1_000_000n;
  const start = end - BigInt(durationMs) * 1_000_000n;
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name,
    kind,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(end),
    attributes: attributesOf(attributes),
    events: events.map((e) => ({ timeUnixNano: String(start), name: e.name, attributes: attributesOf(e.attributes ?? {}) })),
    ...(failed === undefined ? {} : { status: { code: failed ? 2 : 1 } }),
  };
}

/** Sends `spans` as `service` to a Collector's OTLP/HTTP receiver (JSON); resolves with the answer's status. */
export async function sendSpans(collectorOtlpHttpUrl: string, service: string, spans: OtlpSpan[]): Promise<number> {
  const body = { resourceSpans: [{ resource: { attributes: attributesOf({ 'service.name': service }) }, scopeSpans: [{ scope: { name: service }, spans }] }] };
  const res = await fetch(`${collectorOtlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.status;
}
