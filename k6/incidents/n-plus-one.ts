/**
 * Incident: n-plus-one (docs/scenarios.md).
 *
 *   npm run scenario -- on n-plus-one
 *   $K6 run k6/incidents/n-plus-one.ts
 *
 * Traffic: VUS (1) customer, ITERATIONS (3) times: a checkout, whose reservation drops inventory's
 * cached product list, then READS (4) product-list reads in a row. The fault is on the cache-miss
 * path only, so the first read after the checkout is the one that shows it; the others are served
 * from Redis again. One VU, so no other customer refills the cache in between.
 *
 * Not red from outside: nine small queries instead of one cost a few milliseconds, so the normal
 * thresholds hold; the symptom is only in the traces. Printed per iteration: the read right after
 * the checkout (the miss) and the next one (a hit, to compare). In Jaeger, the miss has under
 * inventory's `GET /products` a `SELECT sku FROM products`, then a ladder of identical
 * `SELECT … WHERE p.sku = $1` spans, one per product, where one query used to be.
 */
import { envInt } from '../lib/config.ts';
import { checkout, incident, printTrace, readProducts } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

const READS = envInt('READS', 4);
export const { options, setup, handleSummary } = incident('n-plus-one', { vus: 1, iterations: 3 });

export default function (data: ShopData): void {
  checkout(data);
  printTrace('product list after a reservation (cache miss: the ladder is here)', readProducts());
  if (READS > 1) printTrace('product list again (cache hit: one Redis get, no SQL)', readProducts());
  for (let i = 2; i < READS; i++) readProducts();
}
