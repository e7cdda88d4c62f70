// What the rest of TraceShop may use from here: the secret rules and their redaction (the logs
// apply them too). The SDK itself is started by the preload (preload.ts), never imported.
export { RedactingSpanProcessor, redactLogLine, redactValue, REDACTED } from './lib/redaction';
export { SECRET_KEY_RULES, SECRET_VALUE_RULES } from './lib/redaction.rules';
