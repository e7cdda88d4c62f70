/**
 * Incident: lock-contention (docs/scenarios.md).
 *
 *   npm run scenario -- on lock-contention
 *   $K6 run k6/incidents/lock-contention.ts
 *
 * Traffic: ITERATIONS (2) bursts, BURST_EVERY_S (2) seconds apart, of VUS (6) checkouts paid at
 * the same moment, each customer buying its own product. Reservations of different products
 * never wait on each other's stock rows, so with the scenario off they run side by side; with it
 * on they queue behind the one hot `counters` row. (Checkouts of the same product would queue on
 * its stock row whether the scenario is on or not.)
 *
 * Not red from outside at this size: the queue adds one short transaction per checkout ahead,
 * tens of milliseconds, so the normal thresholds hold; the symptom is in the traces, and it grows
 * with concurrency. Every checkout is printed with its latency: open the slowest of a burst. In
 * Jaeger its `inventory.reserve` starts with a `SELECT … FROM counters … FOR UPDATE` that waited
 * until every reservation ahead of it committed; side by side, the burst is a staircase.
 */
import exec from 'k6/execution';
import { burst, checkout, incident, printTrace, waitForBurst } from '../lib/incident.ts';
import type { Product, ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('lock-contention', { vus: 6, iterations: 2 });

/** VU n buys the n-th product with plenty of stock (SKU-LIMITED-001 has one piece). */
const ownProduct = (products: Product[]) => {
  const plenty = products.filter((p) => !p.sku.includes('LIMITED')).sort((a, b) => a.sku.localeCompare(b.sku));
  return plenty.slice((exec.vu.idInTest - 1) % plenty.length).slice(0, 1);
};

export default function (data: ShopData): void {
  checkout(data, {
    choose: ownProduct,
    beforePay: waitForBurst,
    afterPay: (c) => printTrace(`checkout in burst ${burst()}`, c),
  });
}
