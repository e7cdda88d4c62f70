/**
 * What counts as a secret, in one place. The SDK's RedactingSpanProcessor and the services' logs
 * (libs/platform's LoggingModule) apply these rules (redaction.ts); the Collector's
 * `attributes/secrets` and `redaction` processors (otel/collector.yaml) carry the same patterns,
 * which redaction.collector.spec.ts checks, since YAML cannot import them.
 *
 * Patterns are written in what JavaScript and the Collector's Go (RE2) regular expressions share:
 * no look-arounds, `\b` and `[0-9]` rather than `\d`. Each rule has an example its tests use.
 */

/** Names (attribute keys, log fields) whose value is a secret whatever it looks like: matched anywhere in the name, ignoring case. */
export const SECRET_KEY_RULES = [
  { pattern: 'password', example: 'user.password' },
  { pattern: 'passwd', example: 'db.passwd' },
  { pattern: 'passphrase', example: 'tls.passphrase' },
  // A bare "pass" only as a word of its own: `traceshop.fraud.passed` is no secret.
  { pattern: '\\bpass\\b', example: 'smtp.pass' },
  { pattern: 'secret', example: 'client_secret' },
  { pattern: 'token', example: 'accessToken' },
  // Auto-instrumentation records captured headers as http.request.header.<name>.
  { pattern: 'authorization', example: 'http.request.header.authorization' },
  { pattern: 'cookie', example: 'http.response.header.set-cookie' },
  { pattern: 'api[-_.]?key', example: 'x-api-key' },
  { pattern: 'card[-_.]?number', example: 'payment.cardNumber' },
  { pattern: '\\bpan\\b', example: 'card.pan' },
  { pattern: 'cvc', example: 'payment.cvc' },
  { pattern: 'cvv', example: 'card.cvv2' },
] as const;

/**
 * Values that are a secret wherever they appear (an error message, a query, a URL), under any
 * name: the matching text is masked. Card numbers start with 2-6 (the card networks' ranges),
 * which spares Unix timestamps in milliseconds; the strict shapes spare UUIDs (order ids) whose
 * last groups happen to be all digits. A CVC or a password has no shape: only its name tells.
 */
export const SECRET_VALUE_RULES = [
  { name: 'card number, 13-19 digits in one run', pattern: '\\b[2-6][0-9]{12,18}\\b', ignoreCase: false, example: '4242424242424242' },
  { name: 'card number in groups of four', pattern: '\\b[2-6][0-9]{3}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?\\b', ignoreCase: false, example: '4000-0000-0000-0002' },
  { name: 'Amex card number, 4-6-5', pattern: '\\b3[47][0-9]{2}[ -][0-9]{6}[ -][0-9]{5}\\b', ignoreCase: false, example: '3782 822463 10005' },
  { name: 'bearer token', pattern: '\\bbearer\\s+[A-Za-z0-9._~+/-]+=*', ignoreCase: true, example: 'Bearer abc.def-123' },
  { name: 'HTTP basic credentials', pattern: '\\bbasic\\s+[A-Za-z0-9+/]{8,}=*', ignoreCase: true, example: 'Basic dXNlcjpodW50ZXIy' },
] as const;
