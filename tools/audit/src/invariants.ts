/**
 * The promises the services keep together, each checked by name. What each means and why it
 * matters: tools/audit/README.md.
 */
export const INVARIANTS = [
  'approved-payment-has-one-paid-order',
  'paid-order-has-approved-payment',
  'stock-committed-once',
  'no-expired-hold',
  'no-stuck-checkout',
  'nothing-dead-lettered',
] as const;

export type Invariant = (typeof INVARIANTS)[number];

/** One broken promise: which, about what (an order id, a sku, a queue), and what was found. */
export interface Violation {
  invariant: Invariant;
  id: string;
  detail: string;
}

/** A part of an invariant that could not be checked here, and why (a schema or queue missing). */
export interface Skipped {
  invariant: Invariant;
  part: string;
  reason: string;
}

/** A message in a dead-letter queue, as listed (never consumed). */
export interface DeadLetter {
  queue: string;
  /** Where it was first published to (before any retry or dead-lettering). */
  routingKey: string;
  messageId: string | null;
  /** The consumer's tries after the first (`x-retry-count`). */
  retryCount: number | null;
  /** Why the broker dead-lettered it (`x-death`: rejected, expired, maxlen, ...). */
  deathReason: string | null;
  /** The first 200 characters, card numbers and CVCs masked. */
  body: string;
}

/** What `npm run audit -- --json` prints. */
export interface AuditReport {
  violations: Violation[];
  /** The messages listed (at most --dlq-limit per queue). */
  deadLettered: DeadLetter[];
  /** All messages in the dead-letter queues, listed or not. */
  deadLetteredTotal: number;
  checkedAt: string;
  /** The invariants checked, at least in part. */
  checked: Invariant[];
  skipped: Skipped[];
  /** What could not be read at all (then the exit code is 2). */
  errors: string[];
}
