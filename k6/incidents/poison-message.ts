/**
 * Incident: poison-message (docs/scenarios.md).
 *
 *   npm run scenario -- on poison-message
 *   npm run k6 -- incidents/poison-message      # red: exit 99 (the orders never recorded)
 *
 * Traffic: VUS (2) customers take ITERATIONS (2) checkout journeys each, with the approved card:
 * a paid checkout publishes `order.confirmed`, the event cart's consumer now cannot process.
 *
 * From outside the checkout itself is fine (201, fast): the failure is asynchronous. What a
 * shopper sees is that the cart is never emptied (cart does that once it has recorded the order
 * from that event), so the journey's check "cart: empty after a paid order" fails after
 * ORDER_WAIT_S (5 s) and the normal check threshold goes red.
 * Why is only in the traces. Every checkout is printed with its trace link; in Jaeger it has three
 * `process cart.order-events` spans (`traceshop.messaging.retry_count` 0, 1, 2), each in error
 * with the exception and a failed `INSERT INTO orders` below it, chained through the retries'
 * `publish` spans; inventory's copy is processed as usual. Then the event waits in
 * `cart.order-events.dlq` (`npm run audit` lists it). Green with the fix on
 * (`npm run lab -- fix poison-message`), the scenario still on.
 */
import { checkout, incident, printTrace } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('poison-message', { vus: 2, iterations: 2 });

export default function (data: ShopData): void {
  checkout(data, { afterPay: (c) => printTrace(`checkout of order ${c.orderId} (its order event goes to cart)`, c) });
}
