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
  /** The provider fails often and payment retries at once, without backoff or budget. */
  retryStorm: 'retry-storm',
  /** Product details loaded one query per item instead of one query. */
  nPlusOne: 'n-plus-one',
  /** Reservations serialise on one hot row: under concurrency their spans form a staircase. */
  lockContention: 'lock-contention',
  /** The product cache is bypassed: identical Postgres queries where Redis hits used to be. */
  cacheStampede: 'cache-stampede',
  /** Some order events cannot be processed: retries, then the dead-letter queue. */
  poisonMessage: 'poison-message',
  /** Payment takes one request at a time: a burst waits in the queue, between publish and process. */
  backlog: 'backlog',
  /** The gateway stops waiting before payment is done: the charge lands after the client's answer. */
  orphanedWork: 'orphaned-work',
  /** Head sampling at 1% in every service: the slow checkouts k6 sees are missing from Jaeger. */
  samplingBlindSpot: 'sampling-blind-spot',
  /** The card processor never answers: every checkout waits for payment's full provider timeout. */
  providerUnreachable: 'provider-unreachable',
  /** The services send past the routing Collector, each to a sampler of its own: each sampler decides on a piece, traces get holes. */
  splitTraces: 'split-traces',
} as const;

export type ScenarioName = (typeof SCENARIOS)[keyof typeof SCENARIOS];

/**
 * The switch of a scenario's fix: a boolean flag `fix.<scenario>` in the same flag file, separate
 * from the fault's (HotROD's way). With the fault still on, the fix changes the code where the
 * fault lives the way an engineer would repair it (`npm run lab -- fix <lab>`).
 */
export const fixFlag = (scenario: ScenarioName) => `fix.${scenario}` as const;
