/**
 * Incident: provider-unreachable (docs/scenarios.md).
 *
 *   npm run scenario -- on provider-unreachable
 *   npm run k6 -- incidents/provider-unreachable     # red: exit 99
 *
 * Traffic: VUS (4) customers take ITERATIONS (6) checkout journeys each, back to back. Each VU's
 * first two checkouts are tagged `phase:first`, the rest `phase:outage`: a protection that has to
 * learn of the outage first (a circuit breaker counts failures, and a black hole fails only at the
 * timeout) is judged on the checkouts after that. (Two, not one: the VUs start their first
 * checkouts a little apart, so the quickest VU's second one could start before the breaker had
 * counted three failures.)
 *
 * What it judges is latency only. While the card processor is down no checkout can be paid; what
 * a shopper is owed then is a quick and true answer (202 "pending" or 502 "nothing was charged"),
 * so the statuses do not count here: MAX_ERROR_RATE 1, MIN_CHECKS_RATE 0 (the failed checks still
 * print their trace links).
 *
 * Red from outside: `http_req_duration{endpoint:checkout,phase:outage}` p99 over OUTAGE_P99_MS
 * (1000 ms): with the scenario on, every checkout waits payment's PROVIDER_TIMEOUT_MS (5 s) and
 * answers 202. In Jaeger: payment's `POST` to the provider ends at 5 s in an error, the provider's
 * server span below it never answered. Green with the fix on (`npm run lab -- fix
 * provider-unreachable`), the scenario still on: after the first checkouts the breaker is open
 * and each checkout answers 502 in milliseconds.
 */
import exec from 'k6/execution';
import { envNumber } from '../lib/config.ts';
import { checkout, incident, printTrace } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('provider-unreachable', {
  vus: 4,
  iterations: 6,
  limits: { maxErrorRate: 1, minChecksRate: 0, checkoutP95Ms: 10_000, checkoutP99Ms: 10_000 },
  thresholds: { 'http_req_duration{endpoint:checkout,phase:outage}': [`p(99)<${envNumber('OUTAGE_P99_MS', 1000)}`] },
});

export default function (data: ShopData): void {
  exec.vu.metrics.tags.phase = exec.vu.iterationInScenario < 2 ? 'first' : 'outage';
  checkout(data, { afterPay: (c) => printTrace(`checkout ${exec.vu.metrics.tags.phase}`, c) });
}
