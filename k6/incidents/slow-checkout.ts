/**
 * Incident: slow-checkout, the reference incident (docs/scenarios.md).
 *
 *   npm run scenario -- on slow-checkout
 *   $K6 run k6/incidents/slow-checkout.ts       # red: exit 99
 *   npm run scenario -- off slow-checkout       # green again
 *
 * Traffic: VUS (2) customers take ITERATIONS (3) checkout journeys each, back to back: the
 * checkout is what the fault slows down, so checkouts are all this script makes.
 *
 * Red from outside: checkout p95 over CHECKOUT_P95_MS (1000 ms), p99 over CHECKOUT_P99_MS
 * (2000 ms); with the scenario on every checkout takes ~3 s. Each checkout slower than
 * SLOW_CHECKOUT_MS (1000) is printed with its trace link ("slow checkout: 2950 ms > ...").
 * In Jaeger: payment is ≥ 70% of the checkout, the provider's `POST /charges` takes ~2 s, and
 * payment's `SELECT … FROM fraud_history` is the slowest query of the trace (a Seq Scan: the
 * table has no index).
 */
import { checkout, incident } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('slow-checkout', { vus: 2, iterations: 3, limits: { checkoutP95Ms: 1000, checkoutP99Ms: 2000 } });

export default function (data: ShopData): void {
  checkout(data);
}
