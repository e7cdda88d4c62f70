// A dead-lettered payment request carries a card: what the audit prints must not.

/** A run of 13 to 19 digits, optionally grouped by single spaces or dashes (4242 4242 ...). */
const CARD_NUMBER = /(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])/g;
/** The value of a `cvc` field, in JSON or written as cvc=123. */
const CVC = /("?cvc"?\s*[:=]\s*)("[^"]*"|\d+)/gi;

/** `text` with every card-number-like digit run masked but its last four, and every CVC value masked. */
export function maskSecrets(text: string): string {
  return text
    .replace(CARD_NUMBER, (run) => {
      const digits = run.replace(/\D/g, '');
      return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
    })
    .replace(CVC, (_, key: string, value: string) => `${key}${value.startsWith('"') ? '"***"' : '***'}`);
}

/** `url` without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
