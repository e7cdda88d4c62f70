/**
 * Card checks a processor makes before it asks the card's bank. This service stands in for an
 * external company, so it shares no code with ours (payment has its own copy of these rules).
 */

/** The Luhn checksum every card number carries in its last digit: catches most typos. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** A card is valid until the last day of its expiry month (UTC here, for simplicity). */
export function isExpired(expMonth: number, expYear: number, now = new Date()): boolean {
  const year = now.getUTCFullYear();
  return expYear < year || (expYear === year && expMonth < now.getUTCMonth() + 1);
}
