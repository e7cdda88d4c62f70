export { startTelemetry } from './lib/sdk';
export { instrumentations, isHealthCheck } from './lib/instrumentations';
export { RedactingSpanProcessor, redactValue, REDACTED } from './lib/redaction';
