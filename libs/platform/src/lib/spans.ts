import { Context, context, Span, SpanOptions, SpanStatusCode, Tracer } from '@opentelemetry/api';

/**
 * The one way a service makes a span of its own: `fn` runs with the span active (under `parent`,
 * default the current context); if it throws, the exception and an ERROR status go on the span
 * and the error is rethrown; the span always ends.
 */
export function inSpan<T>(tracer: Tracer, name: string, options: SpanOptions, fn: (span: Span) => Promise<T>, parent: Context = context.active()): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      markFailed(span, e);
      throw e;
    } finally {
      span.end();
    }
  });
}

/** Records `error` on `span` as what made it fail. */
export function markFailed(span: Span, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}
