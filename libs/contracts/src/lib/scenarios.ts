/**
 * The fault scenarios: feature flags in flags/traceshop.flagd.json, switched with
 * `npm run scenario -- on <name>`, evaluated where each fault lives.
 */
export const SCENARIOS = {
  /** The reference incident: a slow payment provider plus an unindexed fraud-history query. */
  slowCheckout: 'slow-checkout',
  /** The payment consumer drops the incoming trace context: each checkout splits in two traces. */
  brokenPropagation: 'broken-propagation',
  /** The provider declines a share of charges: 402s, error spans, released reservations. */
  paymentDeclines: 'payment-declines',
} as const;

export type ScenarioName = (typeof SCENARIOS)[keyof typeof SCENARIOS];
