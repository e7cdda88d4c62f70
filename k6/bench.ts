/**
 * The load of the tracing-overhead benchmark (tools/bench/overhead.ts), not a test of its own:
 * checkout journeys only, without think time, by customers the bench registered and logged in
 * beforehand (ACCOUNTS_FILE), so that the services spend the run on checkouts alone. The bench
 * runs it with TRACEPARENT=none: requests carry no traceparent, so the gateway's sampler decides,
 * which is what the benchmark compares.
 *
 *   MODE=fixed  RATE checkout journeys/s for DURATION: latency at a known load
 *   MODE=max    VUS customers back to back for DURATION: throughput (iterations still running at
 *               the end are cut off, so only checkouts inside DURATION count)
 *   ACCOUNTS_FILE  JSON [{email, password, token}], at least as many as VUs
 */
import { envDuration, envInt, envNumber } from './lib/config.ts';
import { shop, type Account, type ShopData } from './lib/journey.ts';
import { summary } from './lib/summary.ts';
import { SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';

if (!__ENV.ACCOUNTS_FILE) throw new Error('ACCOUNTS_FILE is required: this script is run by tools/bench/overhead.ts');
const accounts: Account[] = JSON.parse(open(__ENV.ACCOUNTS_FILE));
const mode = __ENV.MODE || 'fixed';
const duration = envDuration('DURATION', '30s');
const rate = envNumber('RATE', 4);

const scenarios =
  mode === 'max'
    ? { max: { executor: 'constant-vus', vus: envInt('VUS', 8), duration, gracefulStop: '0s' } }
    : {
        fixed: {
          executor: 'constant-arrival-rate',
          rate: Math.round(rate * 100),
          timeUnit: '100s',
          duration,
          preAllocatedVUs: Math.ceil(rate * 2),
          maxVUs: Math.min(accounts.length, Math.max(4, Math.ceil(rate * 8))),
        },
      };
if (mode !== 'max' && mode !== 'fixed') throw new Error(`MODE must be fixed or max; got "${mode}"`);

export const options = {
  scenarios,
  // Errors only: latency is what the benchmark measures, not what it judges.
  thresholds: thresholds({ maxErrorRate: 0.01, checkoutP95Ms: 600_000, checkoutP99Ms: 600_000, endpointP95Ms: 600_000, minChecksRate: 0.99 }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup(): ShopData {
  return { accounts };
}

export default function (data: ShopData): void {
  shop(data, { mix: { checkout: 1 }, thinkMinS: 0, thinkMaxS: 0 });
}

export const handleSummary = summary(`bench-${mode}`);
