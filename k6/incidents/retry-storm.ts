/**
 * Incident: retry-storm (docs/scenarios.md).
 *
 *   npm run scenario -- on retry-storm
 *   $K6 run k6/incidents/retry-storm.ts
 *
 * Traffic: ITERATIONS (3) bursts, BURST_EVERY_S (2) seconds apart, of VUS (4) checkouts paid at
 * the same moment: a retry storm is many callers retrying at once, so the provider gets four
 * times the concurrent charges it would.
 *
 * Not red by default: the provider sheds each extra attempt at once and payment retries without
 * waiting, so a checkout is only somewhat slower (measured: ~30 ms more alone, about twice the
 * median with 16 at once, no clear difference on a busy 2-CPU machine). To judge it, take your
 * baseline with the scenario off, then pass e.g. -e CHECKOUT_P95_MS=<1.5 × that p95>. The
 * symptom is in the traces: every checkout is printed with its trace link; in Jaeger, four
 * sibling `POST` spans to the provider under one `payment.charge`, three of them errors (503),
 * each with the provider's server span below it (search service payment-provider: four
 * `POST /charges` per checkout where there was one).
 */
import { burst, checkout, incident, printTrace, waitForBurst } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('retry-storm', { vus: 4, iterations: 3 });

export default function (data: ShopData): void {
  checkout(data, { beforePay: waitForBurst, afterPay: (c) => printTrace(`checkout in burst ${burst()}`, c) });
}
