/**
 * Incident: split-traces (docs/scenarios.md).
 *
 *   TRACESHOP_SAMPLERS=2 npm start                  # the two-layer telemetry tier: a router, two samplers
 *   npm run scenario -- on split-traces
 *   npm run k6 -- incidents/split-traces            # green: k6 sees nothing wrong, Jaeger's traces have holes
 *
 * Traffic: VUS (4) customers take ITERATIONS (6) checkout journeys each, back to back. In every
 * MIX_EVERY (6) checkouts of a customer, at a different moment for each, one pays with the
 * processor's slow-issuer test card (approved after 1.2 s) and one with the declined card (402);
 * the rest are fast paid ones. Tail sampling keeps every slow and every failed one, and about one
 * fast one in ten. Every checkout is printed with its status, its time and its trace id
 * (`checkout: 201 in 1334 ms trace_id=…`), the slow ones a second time (`slow checkout: …`).
 *
 * Nothing goes red: the slow and declined checkouts are within the usual limits (a declined
 * card's 402 is its right answer). The incident is in Jaeger: with the scenario on, the
 * failed checkouts' traces (and now and then a slow one's) have holes (`npm run trace -- <trace-id>`); with the fix
 * (`npm run lab -- fix split-traces`) they are whole again.
 */
import exec from 'k6/execution';
import { envInt } from '../lib/config.ts';
import { checkout, incident, printTrace } from '../lib/incident.ts';
import { APPROVED_CARD, DECLINED_CARD, SLOW_ISSUER_CARD, type ShopData } from '../lib/journey.ts';

export const { options, setup, handleSummary } = incident('split-traces', { vus: 4, iterations: 6 });

const MIX_EVERY = envInt('MIX_EVERY', 6);

export default function (data: ShopData): void {
  // Slot 0 of every MIX_EVERY is slow, the middle one declined: each VU starts at another slot.
  const slot = (exec.vu.idInTest + exec.vu.iterationInScenario) % MIX_EVERY;
  const card = slot === 0 ? SLOW_ISSUER_CARD : slot === Math.floor(MIX_EVERY / 2) ? DECLINED_CARD : APPROVED_CARD;
  checkout(data, { card, afterPay: (c) => printTrace('checkout', c) });
}
