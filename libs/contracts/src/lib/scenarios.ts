/**
 * The fault scenarios: feature flags in flags/traceshop.flagd.json, switched with
 * `npm run scenario -- on <name>`, evaluated where each fault lives.
 */
export const SCENARIOS = {
  /** The reference incident: a slow payment provider plus an unindexed fraud-history query. */
  slowCheckout: 'slow-checkout',
} as const;

export type ScenarioName = (typeof SCENARIOS)[keyof typeof SCENARIOS];
