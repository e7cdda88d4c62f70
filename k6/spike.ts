/**
 * Spike: a calm baseline, a sudden surge (a sale, a marketing mail), back to calm. The questions:
 * does the shop stay correct during the surge (error thresholds are looser than load's, latency
 * ones much looser), and does it recover (the recovery phase runs at the baseline again)?
 *
 *   BASE_RATE (2 journeys/s), SPIKE_RATE (20), WARMUP (30s), SPIKE_DURATION (30s),
 *   RECOVERY (60s), PRE_VUS, MAX_VUS
 */
import { envDuration, envInt, envNumber } from './lib/config.ts';
import { accountsFor, registerAccounts, shop, type ShopData } from './lib/journey.ts';
import { rampingScenario, recordTargetRate, type Stage } from './lib/ramp.ts';
import { summary } from './lib/summary.ts';
import { SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';

const baseRate = envNumber('BASE_RATE', 2);
const spikeRate = envNumber('SPIKE_RATE', 20);
const stages: Stage[] = [
  { target: baseRate, duration: envDuration('WARMUP', '30s') },
  { target: spikeRate, duration: '10s' },
  { target: spikeRate, duration: envDuration('SPIKE_DURATION', '30s') },
  { target: baseRate, duration: '10s' },
  { target: baseRate, duration: envDuration('RECOVERY', '60s') },
];

const scenarios = {
  spike: rampingScenario(baseRate, stages, envInt('PRE_VUS', Math.ceil(baseRate * 4)), envInt('MAX_VUS', Math.max(20, Math.ceil(spikeRate * 6)))),
};

export const options = {
  scenarios,
  thresholds: thresholds({ maxErrorRate: 0.05, checkoutP95Ms: 3000, checkoutP99Ms: 6000, endpointP95Ms: 2000, minChecksRate: 0.95 }),
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '5m',
};

export function setup(): ShopData {
  return registerAccounts(accountsFor(scenarios));
}

export default function (data: ShopData): void {
  recordTargetRate(baseRate, stages);
  shop(data, { mix: { checkout: 70, browse: 20, abandon: 10 }, thinkMinS: 0.2, thinkMaxS: 1 });
}

export const handleSummary = summary('spike', (m) => ({ 'peak target rate (journeys/s)': m.target_rate?.values.max ?? 0 }));
