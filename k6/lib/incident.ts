import { sleep } from 'k6';
import exec from 'k6/execution';
import { call, logTrace, type Answer } from './client.ts';
import { envDuration, envInt, envNumber } from './config.ts';
import { accountsFor, customer, registerAccounts, type CheckoutAnswer, type CheckoutOptions, type ShopData } from './journey.ts';
import { summary } from './summary.ts';
import { SUMMARY_TREND_STATS, thresholds, type Limits } from './thresholds.ts';

/**
 * What the incident scripts (k6/incidents/<scenario>.ts) share: each drives the traffic one fault
 * scenario needs to show, as a fixed number of iterations per VU (VUS, ITERATIONS), so two runs
 * make the same requests in the same order. A script states its defaults and, where the fault
 * shows from outside, the threshold that catches it.
 */

/**
 * What every incident script judges: errors and checks as the load test does, latency only as
 * loosely as the smoke test (every VU logs in at the same moment, and scrypt queues them). A
 * script whose fault shows as latency tightens that in its own `limits`.
 */
const NORMAL: Limits = { maxErrorRate: 0.01, checkoutP95Ms: 3000, checkoutP99Ms: 5000, endpointP95Ms: 2000, minChecksRate: 0.99 };

export interface IncidentDefaults {
  vus: number;
  iterations: number;
  /** Limits that differ from NORMAL's. */
  limits?: Partial<Limits>;
  /** Thresholds on metrics `thresholds()` leaves alone, e.g. `approved_card_declined`. */
  thresholds?: Record<string, string[]>;
  /** False when the script needs no customers (anonymous reads only). */
  accounts?: boolean;
}

/** The options, setup and handleSummary of the incident script for `scenario`. */
export function incident(scenario: string, defaults: IncidentDefaults) {
  const scenarios = {
    [scenario]: {
      executor: 'per-vu-iterations',
      vus: envInt('VUS', defaults.vus),
      iterations: envInt('ITERATIONS', defaults.iterations),
      maxDuration: envDuration('MAX_DURATION', '2m'),
    },
  };
  return {
    options: {
      scenarios,
      thresholds: { ...thresholds({ ...NORMAL, ...defaults.limits }), ...defaults.thresholds },
      summaryTrendStats: SUMMARY_TREND_STATS,
      setupTimeout: '2m',
    },
    setup: (): ShopData => (defaults.accounts === false ? { accounts: [] } : registerAccounts(accountsFor(scenarios))),
    handleSummary: summary(`incident-${scenario}`),
  };
}

/** One checkout journey by the VU's customer (no think time), logged in first if need be. */
export function checkout(data: ShopData, options: CheckoutOptions = {}): CheckoutAnswer | undefined {
  const shopper = customer(data, { mix: { checkout: 1 }, thinkMinS: 0, thinkMaxS: 0 });
  return shopper.ensureSession() ? shopper.checkout(options) : undefined;
}

/** GET /api/products, anonymous (the product list is public). */
export const readProducts = (): Answer => call({ endpoint: 'products', method: 'GET', path: '/api/products' });

/**
 * Waits for this iteration's burst: burst n starts n × BURST_EVERY_S (default `everyS`) after the
 * scenario started, the same moment for every VU, so their requests of iteration n reach the shop
 * together. A VU that is late for its burst goes at once.
 */
export function waitForBurst(everyS = 2): void {
  const at = exec.scenario.startTime + burst() * envNumber('BURST_EVERY_S', everyS) * 1000;
  const waitS = (at - Date.now()) / 1000;
  if (waitS > 0) sleep(waitS);
}

/** This iteration's burst, counted from 1. */
export const burst = (): number => exec.vu.iterationInScenario + 1;

/** Prints `what` and the trace link of an answer (at most MAX_TRACE_LOGS lines per VU). */
export function printTrace(what: string, answer: Answer | undefined): void {
  if (answer) logTrace(`${what}: ${answer.res.status} in ${Math.round(answer.res.timings.duration)} ms`, answer.traceId);
}
