/**
 * Soak: the load journey mix at a low rate for a long time, to surface what only time shows:
 * memory growth, connection or session leaks, a queue that drains slower than it fills, a cache
 * that never expires. Sessions are renewed every SESSION_MAX_AGE_S (600 s), as a shopper's would.
 *
 *   DURATION (30m; e.g. 4h for a real soak), RATE (1 journey/s), PRE_VUS, MAX_VUS
 */
import { envNumber } from './lib/config.ts';
import { accountsFor, registerAccounts, shop, type ShopData } from './lib/journey.ts';
import { steadyScenario } from './lib/ramp.ts';
import { summary } from './lib/summary.ts';
import { SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';

const rate = envNumber('RATE', 1);
const scenarios = { soak: steadyScenario(rate, '30m') };

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
  shop(data, { mix: { checkout: 60, browse: 30, abandon: 10 }, thinkMinS: 1, thinkMaxS: 3 });
}

export const handleSummary = summary('soak');
