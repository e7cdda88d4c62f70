/**
 * Smoke: a few iterations of the tour journey (every endpoint of the public API, both checkout
 * outcomes) by two customers, with strict thresholds: no failed request, every check holds.
 * Run it after a deploy, or before any bigger test. The system tests run it too.
 *
 *   VUS (2), ITERATIONS (4, shared by the VUs)
 */
import { envInt } from './lib/config.ts';
import { accountsFor, registerAccounts, shop, type ShopData } from './lib/journey.ts';
import { summary } from './lib/summary.ts';
import { SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';

const scenarios = {
  smoke: { executor: 'shared-iterations', vus: envInt('VUS', 2), iterations: envInt('ITERATIONS', 4), maxDuration: '2m' },
};

export const options = {
  scenarios,
  thresholds: thresholds({ maxErrorRate: 0, checkoutP95Ms: 3000, checkoutP99Ms: 5000, endpointP95Ms: 2000, minChecksRate: 1 }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup(): ShopData {
  return registerAccounts(accountsFor(scenarios));
}

export default function (data: ShopData): void {
  shop(data, { mix: { tour: 1 }, thinkMinS: 0, thinkMaxS: 0.1 });
}

export const handleSummary = summary('smoke');
