import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { SECRET_KEY_RULES, SECRET_VALUE_RULES } from './redaction.rules';

export const REDACTED = '[REDACTED]';

/** Any of the secret names (redaction.rules.ts). */
const SECRET_KEY = new RegExp(SECRET_KEY_RULES.map((r) => r.pattern).join('|'), 'i');
/** Each secret shape, to replace every occurrence. */
const SECRET_VALUE = SECRET_VALUE_RULES.map((r) => new RegExp(r.pattern, r.ignoreCase ? 'gi' : 'g'));
/** Whether a text may hold a secret at all: a log line without one is passed on as it is. */
const MAY_HOLD_SECRET = new RegExp([...SECRET_KEY_RULES, ...SECRET_VALUE_RULES].map((r) => r.pattern).join('|'), 'i');

/** `text` with every secret-looking part replaced. */
function redactText(text: string): string {
  return SECRET_VALUE.reduce((v, pattern) => v.replace(pattern, REDACTED), text);
}

/** Returns the value with every secret-looking part replaced, or the same value if it has none. */
export function redactValue(key: string, value: AttributeValue): AttributeValue {
  if (SECRET_KEY.test(key)) return REDACTED;
  return typeof value === 'string' ? redactText(value) : value;
}

/**
 * One JSON log line (pino's `hooks.streamWrite`) with the same rules applied: a field with a
 * secret name is blanked at any depth (`req.headers.authorization`), secret-looking text is
 * masked in any string (the message, an error's stack).
 */
export function redactLogLine(line: string): string {
  if (!MAY_HOLD_SECRET.test(line)) return line;
  try {
    const clean = JSON.parse(line, (key, value) => (SECRET_KEY.test(key) ? REDACTED : typeof value === 'string' ? redactText(value) : value));
    return `${JSON.stringify(clean)}\n`;
  } catch {
    return redactText(line); // not JSON after all: the shapes at least
  }
}

function redactAttributes(attributes: Attributes, set: (key: string, value: AttributeValue) => void) {
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const clean = redactValue(key, value);
    if (clean !== value) set(key, clean);
  }
}

/**
 * Removes secrets (redaction.rules.ts) from span and event attributes before a span is exported.
 * It runs while the span is ending, when its attributes can still be changed; the Collector's
 * processors apply the same rules as the second line.
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
