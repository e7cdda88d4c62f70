import { createHash } from 'node:crypto';

/**
 * Why a card cannot be charged at all, in the decline codes card processors use, or undefined.
 * Checked here so that a typo or an old card is a quick decline, not a failed call to the provider.
 * (The provider checks the same on its side; it stands in for another company, so no code is shared.)
 */
export function cardProblem(card: { cardNumber: string; expMonth: number; expYear: number }): 'invalid_number' | 'expired_card' | undefined {
  if (!passesLuhn(card.cardNumber)) return 'invalid_number';
  if (isExpired(card.expMonth, card.expYear)) return 'expired_card';
  return undefined;
}

/** The Luhn checksum every card number carries in its last digit: catches most typos. */
function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** A card is valid until the last day of its expiry month (UTC here, for simplicity). */
function isExpired(expMonth: number, expYear: number, now = new Date()): boolean {
  const year = now.getUTCFullYear();
  return expYear < year || (expYear === year && expMonth < now.getUTCMonth() + 1);
}

/**
 * Identifies a card without keeping its number, so payments of one card can be counted.
 * A plain SHA-256 keeps the lab simple; a real system would use a keyed hash (HMAC with a
 * secret), because card numbers are few enough to be guessed back from a plain one.
 */
export function cardFingerprint(cardNumber: string): string {
  return createHash('sha256').update(cardNumber).digest('hex');
}
