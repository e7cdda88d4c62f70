import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace';

export const REDACTED = '[REDACTED]';

/** Attribute keys whose value is a secret whatever it looks like. */
const SECRET_KEY = /pass(word|wd|phrase)?(?![a-z])|secret|token|authorization|cookie|api[-_.]?key|card[-_.]?number|cvc|cvv|pan\b/i;
/**
 * Values that look like a secret wherever they appear: card numbers (13-19 digits in one run, or
 * in groups of four, or Amex's 4-6-5) and bearer tokens. The shapes are strict on purpose: a UUID
 * such as an order id ends in twelve digits often enough that a looser pattern would blank it.
 * The Collector's redaction processor uses the same shapes (otel/collector.yaml).
 */
const SECRET_VALUE = [
  /\b[2-6]\d{12,18}\b/g,
  /\b[2-6]\d{3}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?\b/g,
  /\b3[47]\d{2}[ -]\d{6}[ -]\d{5}\b/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
];

/** Returns the value with every secret-looking part replaced, or the same value if it has none. */
export function redactValue(key: string, value: AttributeValue): AttributeValue {
  if (SECRET_KEY.test(key)) return REDACTED;
  if (typeof value !== 'string') return value;
  return SECRET_VALUE.reduce((v, pattern) => v.replace(pattern, REDACTED), value);
}

function redactAttributes(attributes: Attributes, set: (key: string, value: AttributeValue) => void) {
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const clean = redactValue(key, value);
    if (clean !== value) set(key, clean);
  }
}

/**
 * Removes secrets (passwords, tokens, Authorization headers, card numbers, CVCs) from span and
 * event attributes before a span is exported. It runs while the span is ending, when its
 * attributes can still be changed; the Collector's redaction processor is the second line.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  onStart(): void {
    // attributes set later would be missed here; onEnding sees them all
  }

  onEnding(span: Span): void {
    redactAttributes(span.attributes, (key, value) => span.setAttribute(key, value));
    for (const event of span.events) {
      // Event attributes are plain objects once recorded; nothing else holds them yet.
      if (event.attributes) redactAttributes(event.attributes, (key, value) => ((event.attributes as Attributes)[key] = value));
    }
  }

  onEnd(): void {
    // nothing to do: the span was cleaned in onEnding
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
