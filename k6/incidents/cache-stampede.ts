/**
 * Incident: cache-stampede (docs/scenarios.md).
 *
 *   npm run scenario -- on cache-stampede
 *   $K6 run k6/incidents/cache-stampede.ts
 *
 * Traffic: ITERATIONS (5) bursts, BURST_EVERY_S (1) second apart, of VUS (8) anonymous
 * product-list reads at the same moment: the many concurrent readers of one hot key that a cache
 * is there to absorb. No checkouts, so nothing invalidates the cache: with the scenario off, once
 * the first burst has filled it (all eight miss if they find it empty: a real stampede, once),
 * every read is a Redis hit.
 *
 * Not red from outside: Postgres answers the small catalogue query quickly, so the normal
 * thresholds hold; the symptom is only in the traces. VU 1's read of each burst is printed. In
 * Jaeger (or search service inventory, operation GET /products, for the whole burst): a Redis
 * `get` that misses (`traceshop.cache.hit` false), no `set`, and the same product `SELECT` in
 * every request of the burst, where Redis hits used to be.
 */
import exec from 'k6/execution';
import { burst, incident, printTrace, readProducts, waitForBurst } from '../lib/incident.ts';

export const { options, setup, handleSummary } = incident('cache-stampede', { vus: 8, iterations: 5, accounts: false });

export default function (): void {
  waitForBurst(1);
  const read = readProducts();
  if (exec.vu.idInTest === 1) printTrace(`product list in burst ${burst()}`, read);
}
