/**
 * Incident: retry-storm (docs/scenarios.md).
 *
 *   npm run scenario -- on retry-storm
 *   npm run k6 -- incidents/retry-storm     # red: exit 99 (checkouts answered 202, not paid)
 *
 * Traffic: ITERATIONS (3) bursts, BURST_EVERY_S (3) seconds apart, of VUS (4) checkouts paid at
 * the same moment: more than the degraded provider takes in a second (two charge requests), though
 * not more than it takes over the three seconds to the next burst — spread out, it would all fit.
 *
 * Red with the scenario on: the provider sheds two charges of each burst with 503 and
 * `Retry-After: 1`, payment asks again at once, five times within milliseconds, while the
 * provider is still overloaded (the shed requests count as load too), and gives up: those
 * checkouts answer 202 ("payment pending", later failed), so `checkout_ok` and the checks fail.
 * Every checkout is printed with its trace link; in Jaeger, five sibling `POST` spans to the
 * provider under one `payment.charge`, all errors (503), each with the provider's server span
 * below it (search service payment-provider: three `POST /charges` per checkout, not one).
 * Green again with the fix on (`npm run lab -- fix retry-storm`), the scenario still on.
 */
import { burst, checkout, incident, printTrace, waitForBurst } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('retry-storm', { vus: 4, iterations: 3 });

export default function (data: ShopData): void {
  checkout(data, { beforePay: () => waitForBurst(3), afterPay: (c) => printTrace(`checkout in burst ${burst()}`, c) });
}
