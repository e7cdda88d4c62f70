/**
 * Incident: broken-propagation (docs/scenarios.md).
 *
 *   npm run scenario -- on broken-propagation
 *   $K6 run k6/incidents/broken-propagation.ts
 *
 * Traffic: VUS (2) customers take ITERATIONS (2) checkout journeys each: a checkout is the
 * request whose work crosses RabbitMQ to payment, which is where the context gets lost.
 *
 * Not red from outside: checkouts still succeed, as fast as before, and the gateway still
 * continues k6's trace, so the normal error and check thresholds hold. The symptom is only in
 * the traces. Every checkout is printed with its trace link and order id; in Jaeger its trace
 * ends at an empty `process payment.requests` span in payment, and the payment's work (fraud
 * check, provider call) is a trace of its own rooted at `payment.process`: search service
 * payment, operation payment.process, tag traceshop.order.id=<order id>.
 */
import { checkout, incident, printTrace } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('broken-propagation', { vus: 2, iterations: 2 });

export default function (data: ShopData): void {
  checkout(data, { afterPay: (c) => printTrace(`checkout of order ${c.orderId} (its payment.process trace is separate)`, c) });
}
