/**
 * Incident: backlog (docs/scenarios.md).
 *
 *   npm run scenario -- on backlog
 *   npm run k6 -- incidents/backlog          # red: exit 99 (checkout latency)
 *
 * Traffic: ITERATIONS (2) bursts, BURST_EVERY_S (6) seconds apart, of VUS (20) checkouts paid at
 * the same moment: a sale opening, a newsletter going out. Twenty payment requests reach
 * `payment.requests` within milliseconds of each other.
 *
 * Red with the scenario on: payment takes one request at a time and each charge takes ~300 ms at
 * the processor, so the twentieth checkout of a burst waits ~6 s for the nineteen ahead of it.
 * Every checkout still succeeds (201), only later: checkout p95 and p99 go over 2 s and 3 s. Each
 * checkout is printed with its latency and trace link; in Jaeger no span of the slowest one is
 * long, yet the trace is: the time is the gap between the gateway's `publish payment.requests`
 * and payment's `process payment.requests`, the request waiting in the queue. Green again with
 * the fix on (`npm run lab -- fix backlog`), the scenario still on: payment takes ten at a time.
 */
import { burst, checkout, incident, printTrace, waitForBurst } from '../lib/incident.ts';
import type { ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('backlog', {
  vus: 20,
  iterations: 2,
  // Paid within a second or so with payment working as it should; the queued burst's p95 is ~6 s.
  // Loose enough for a busy 2-core machine (the healthy p95 was seen at 3 s there).
  limits: { checkoutP95Ms: 4000 },
});

export default function (data: ShopData): void {
  checkout(data, { beforePay: () => waitForBurst(6), afterPay: (c) => printTrace(`checkout in burst ${burst()}`, c) });
}
