/**
 * Stress: raise the arrival rate step by step until the thresholds break, then stop (the
 * thresholds abort the run, so k6 exits 99: for this script that is the expected outcome, and the
 * summary's "target rate when stopped" is the answer). Latency thresholds are the load test's.
 *
 *   START_RATE (2 journeys/s), STEP_RATE (+2), STEP_DURATION (30s per step), MAX_RATE (40),
 *   PRE_VUS, MAX_VUS
 */
import { envDuration, envInt, envNumber } from './lib/config.ts';
import { accountsFor, registerAccounts, shop, type ShopData } from './lib/journey.ts';
import { rampingScenario, recordTargetRate, type Stage } from './lib/ramp.ts';
import { summary } from './lib/summary.ts';
import { SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';

const startRate = envNumber('START_RATE', 2);
const stepRate = envNumber('STEP_RATE', 2);
const maxRate = envNumber('MAX_RATE', 40);
const stepDuration = envDuration('STEP_DURATION', '30s');
if (stepRate <= 0 || maxRate < startRate) throw new Error('need STEP_RATE > 0 and MAX_RATE >= START_RATE');

// Each step: 5 s to reach the new rate, then hold it for STEP_DURATION.
const stages: Stage[] = [];
for (let rate = startRate; rate <= maxRate; rate += stepRate) {
  stages.push({ target: rate, duration: '5s' }, { target: rate, duration: stepDuration });
}

const scenarios = {
  stress: rampingScenario(startRate, stages, envInt('PRE_VUS', Math.ceil(startRate * 4)), envInt('MAX_VUS', Math.max(20, Math.ceil(maxRate * 5)))),
};

export const options = {
  scenarios,
  thresholds: thresholds({ maxErrorRate: 0.01, checkoutP95Ms: 1000, checkoutP99Ms: 2000, endpointP95Ms: 500, minChecksRate: 0.99, abortOnFail: true }),
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '5m',
};

export function setup(): ShopData {
  return registerAccounts(accountsFor(scenarios));
}

export default function (data: ShopData): void {
  recordTargetRate(startRate, stages);
  shop(data, { mix: { checkout: 70, browse: 20, abandon: 10 }, thinkMinS: 0.2, thinkMaxS: 1 });
}

export const handleSummary = summary('stress', (m) => ({
  'target rate when stopped (journeys/s)': round(m.target_rate?.values.value ?? 0),
  'journeys/s achieved over the run': round(m.iterations?.values.rate ?? 0),
}));

const round = (n: number) => Math.round(n * 100) / 100;
