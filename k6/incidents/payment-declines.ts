/**
 * Incident: payment-declines (docs/scenarios.md).
 *
 *   npm run scenario -- on payment-declines         # every charge; `on payment-declines=half`: 50%
 *   $K6 run k6/incidents/payment-declines.ts        # red: exit 99
 *
 * Traffic: VUS (2) customers take ITERATIONS (3) checkout journeys each, paying with the approved
 * card (and the declined one at DECLINE_RATE, 5%, as always): only a checkout reaches the
 * processor that now declines.
 *
 * Red from outside: `approved_card_declined`, the share of approved-card checkouts answered 402,
 * above MAX_DECLINED_RATE (0.05); the error and check thresholds fail with it. Each such checkout
 * is printed by the failed check ("POST /api/checkout -> 402: failed checkout: status 201 ...")
 * with its trace link. In Jaeger: error status on payment's `POST` client span and on
 * `payment.charge`, the provider's 402, and inventory consuming `order.declined` to release the stock.
 */
import { envNumber } from '../lib/config.ts';
import { checkout, incident } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('payment-declines', {
  vus: 2,
  iterations: 3,
  thresholds: { approved_card_declined: [`rate<=${envNumber('MAX_DECLINED_RATE', 0.05)}`] },
});

export default function (data: ShopData): void {
  checkout(data);
}
