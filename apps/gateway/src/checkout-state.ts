/**
 * The checkout saga's states and the only transitions allowed between them. Every state change
 * goes through `assertTransition` (the repository calls it before each UPDATE), so this table
 * is the whole truth about what a checkout can become.
 *
 *   (new) ─▶ reserving ─▶ payment_pending ─▶ paid | declined          (the client's answer)
 *               │  ▲            │
 *               │  └ rejected   ├─▶ payment_unknown ─▶ paid | declined | failed   (reconciled)
 *               └─▶ failed      └─▶ failed
 */
export const CHECKOUT_STATES = ['reserving', 'payment_pending', 'payment_unknown', 'paid', 'declined', 'failed', 'rejected'] as const;
export type CheckoutState = (typeof CHECKOUT_STATES)[number];

const TRANSITIONS: Record<CheckoutState, readonly CheckoutState[]> = {
  // Stock is being reserved. A refusal (out of stock, unknown sku) is `rejected`; a reservation
  // that expired before payment was asked for, or a checkout abandoned here, is `failed`.
  reserving: ['payment_pending', 'rejected', 'failed'],
  // The stock is held and payment is asked. Its answer settles it; no answer in time (or
  // payment's `error`) makes the outcome unknown; a request the broker never took is `failed`.
  payment_pending: ['paid', 'declined', 'payment_unknown', 'failed'],
  // Charged or not is not known: only reconciliation with payment (and the provider) moves it.
  // `failed` here means payment proved nothing was or will be charged (voided).
  payment_unknown: ['paid', 'declined', 'failed'],
  paid: [],
  declined: [],
  failed: [],
  // Nothing was held or charged: a retry with the same Idempotency-Key may start again.
  rejected: ['reserving'],
};

/** States that need someone to finish them: a client's retry or the reconciler. */
export const OPEN_STATES: readonly CheckoutState[] = ['reserving', 'payment_pending', 'payment_unknown'];

export function canTransition(from: CheckoutState, to: CheckoutState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: CheckoutState, to: CheckoutState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

export function isOpen(state: CheckoutState): boolean {
  return OPEN_STATES.includes(state);
}

export class IllegalTransitionError extends Error {
  constructor(readonly from: CheckoutState, readonly to: CheckoutState) {
    super(`illegal checkout transition ${from} → ${to}`);
  }
}
