/**
 * Load: steady, checkout-heavy traffic at a fixed arrival rate (k6 starts RATE journeys a second
 * whether or not the shop keeps up, so a slow shop shows as latency, not as less traffic).
 *
 *   RATE (5 journeys/s; with the default mix about 70% of them check out), DURATION (5m),
 *   PRE_VUS, MAX_VUS (enough for RATE journeys of ~6 s each)
 */
import { envNumber } from './lib/config.ts';
import { accountsFor, registerAccounts, shop, type ShopData } from './lib/journey.ts';
import { steadyScenario } from './lib/ramp.ts';
import { summary } from './lib/summary.ts';
import { SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';

const rate = envNumber('RATE', 5);
const scenarios = { load: steadyScenario(rate, '5m') };

export const options = {
  scenarios,
  thresholds: thresholds({ maxErrorRate: 0.01, checkoutP95Ms: 1000, checkoutP99Ms: 2000, endpointP95Ms: 500, minChecksRate: 0.99 }),
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '5m',
};

export function setup(): ShopData {
  return registerAccounts(accountsFor(scenarios));
}

export default function (data: ShopData): void {
  shop(data, { mix: { checkout: 70, browse: 20, abandon: 10 }, thinkMinS: 0.5, thinkMaxS: 2 });
}

export const handleSummary = summary('load');
