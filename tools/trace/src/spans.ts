import type { JaegerLog, JaegerSpan, JaegerTrace } from '@traceshop/testing';

// Accessors of Jaeger's span JSON. The testing lib has `tag` and `parentOf` too, but importing
// anything of it at run time loads its whole index (pg, amqplib, Redis clients: half a second
// per run of this CLI), so the CLI shares only its types.

/** The value of attribute `key` on `span` (or Jaeger's own, like `span.kind`). */
export function tag(span: JaegerSpan, key: string): string | number | boolean | undefined {
  return span.tags.find((t) => t.key === key)?.value;
}

/** The first attribute of `keys` that `span` has, as a string ('' counts: RabbitMQ's default exchange). */
export function firstTag(span: JaegerSpan, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = tag(span, key);
    if (value !== undefined) return String(value);
  }
  return undefined;
}

/** The parent's span ID (the CHILD_OF reference), or undefined for a root. */
export function parentIdOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

/** The service that emitted `span`. */
export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string {
  return trace.processes[span.processID]?.serviceName ?? '?';
}

/** Error status: OTLP's status code, or the `error` tag Jaeger derives from it. */
export function isError(span: JaegerSpan): boolean {
  const error = tag(span, 'error');
  return error === true || error === 'true' || tag(span, 'otel.status_code') === 'ERROR';
}

/** The name of a span event (Jaeger stores it as the log field `event`). */
export function eventName(log: JaegerLog): string | undefined {
  const value = log.fields.find((f) => f.key === 'event')?.value;
  return value === undefined ? undefined : String(value);
}

/** A field of a span event. */
export function field(log: JaegerLog, key: string): string | undefined {
  const value = log.fields.find((f) => f.key === key)?.value;
  return value === undefined ? undefined : String(value);
}
