/**
 * Incident: orphaned-work (docs/scenarios.md).
 *
 *   npm run scenario -- on orphaned-work
 *   npm run k6 -- incidents/orphaned-work    # red: exit 99 (checkouts answered 202, not paid)
 *
 * Traffic: VUS (2) customers take ITERATIONS (2) checkout journeys each, with the approved card.
 *
 * Red with the scenario on: the gateway waits one second for payment, the processor takes two,
 * so every checkout answers 202 ("the payment outcome is not known yet") after a second, and
 * `checkout_ok` and the checks fail. Meanwhile payment goes on and the charge is approved a
 * second after that answer; the reconciler finds it a few seconds later and the order is paid.
 * Every checkout is printed with its status, latency and trace link; in Jaeger, payment's spans
 * and the provider's `POST /charges` end after the gateway's root span. With the fix on
 * (`npm run lab -- fix orphaned-work`) it stays red, differently: every checkout is refused in
 * milliseconds (502, nothing charged), since a charge that may take 5 s is not started with a
 * second left. The budget itself is the product's decision (docs/labs/orphaned-work.md).
 */
import { checkout, incident, printTrace } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('orphaned-work', { vus: 2, iterations: 2 });

export default function (data: ShopData): void {
  checkout(data, { afterPay: (c) => printTrace('checkout', c) });
}
