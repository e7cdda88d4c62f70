/**
 * Incident: poison-message (docs/scenarios.md).
 *
 *   npm run scenario -- on poison-message
 *   $K6 run k6/incidents/poison-message.ts      # red: exit 99 (the orders never appear)
 *
 * Traffic: VUS (2) customers take ITERATIONS (2) checkout journeys each, with the approved card:
 * a paid checkout publishes `order.confirmed`, the event cart's consumer now cannot process.
 *
 * From outside the checkout itself is fine (201, fast): the failure is asynchronous. What a
 * shopper sees is that the order page never shows the order and the cart is never emptied (cart
 * writes both from that event), so the journey's checks "order: recorded as paid" and "cart: empty
 * after a paid order" fail after ORDER_WAIT_S (5 s) and the normal check threshold goes red.
 * Why is only in the traces. Every checkout is printed with its trace link; in Jaeger it has three
 * `cart.order-events process` spans (`traceshop.messaging.retry_count` 0, 1, 2), each in error
 * with the exception, chained through the retries' `publish` spans; inventory's copy is processed
 * as usual. Then the event waits in `cart.order-events.dlq` (RabbitMQ UI, queue list).
 */
import { checkout, incident, printTrace } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('poison-message', { vus: 2, iterations: 2 });

export default function (data: ShopData): void {
  checkout(data, { afterPay: (c) => printTrace(`checkout of order ${c.orderId} (its order event goes to cart)`, c) });
}
