import { ENDPOINTS, type Endpoint } from './client.ts';
import { envNumber } from './config.ts';

/**
 * The pass/fail rules of a run, per endpoint (the `endpoint` tag every request carries), so a red
 * line in the summary names the route that broke. Each script states its limits; the environment
 * can move them (MAX_ERROR_RATE, CHECKOUT_P95_MS, CHECKOUT_P99_MS, ENDPOINT_P95_MS, MIN_CHECKS_RATE).
 * A failed threshold makes k6 exit with code 99.
 */
export interface Limits {
  /** Share of requests that may fail (a status outside the expected ones, or no answer). */
  maxErrorRate: number;
  checkoutP95Ms: number;
  checkoutP99Ms: number;
  /** p95 of every other endpoint. */
  endpointP95Ms: number;
  /** Share of checks that must hold. */
  minChecksRate: number;
  /**
   * Stop the test as soon as a headline threshold fails (stress: "ramp until it breaks"): the
   * error rate, the checks, checkout latency. The other endpoints' latency is still judged at
   * the end, but does not stop the ramp: login (scrypt) bursts whenever a ramp adds VUs.
   */
  abortOnFail?: boolean;
}

type Rule = string | { threshold: string; abortOnFail: boolean; delayAbortEval: string };

export function thresholds(defaults: Limits): Record<string, Rule[]> {
  const limits: Limits = {
    maxErrorRate: envNumber('MAX_ERROR_RATE', defaults.maxErrorRate),
    checkoutP95Ms: envNumber('CHECKOUT_P95_MS', defaults.checkoutP95Ms),
    checkoutP99Ms: envNumber('CHECKOUT_P99_MS', defaults.checkoutP99Ms),
    endpointP95Ms: envNumber('ENDPOINT_P95_MS', defaults.endpointP95Ms),
    minChecksRate: envNumber('MIN_CHECKS_RATE', defaults.minChecksRate),
    abortOnFail: defaults.abortOnFail,
  };
  // Let a ramp get going before one early outlier can abort it.
  const rule = (threshold: string): Rule => (limits.abortOnFail ? { threshold, abortOnFail: true, delayAbortEval: '20s' } : threshold);
  const errors = `rate<=${limits.maxErrorRate}`;

  const rules: Record<string, Rule[]> = {
    http_req_failed: [rule(errors)],
    checks: [rule(`rate>=${limits.minChecksRate}`)],
    checkout_ok: [rule(`rate>=${1 - limits.maxErrorRate}`)],
    'http_req_duration{endpoint:checkout}': [rule(`p(95)<${limits.checkoutP95Ms}`), rule(`p(99)<${limits.checkoutP99Ms}`)],
  };
  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    rules[`http_req_failed{endpoint:${endpoint}}`] = [rule(errors)];
    // Judged at the end only, never aborting (see Limits.abortOnFail).
    if (endpoint !== 'checkout') rules[`http_req_duration{endpoint:${endpoint}}`] = [`p(95)<${limits.endpointP95Ms}`];
  }
  return rules;
}

/** Trend statistics the summaries show (k6's default lacks p(99)). */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'];
