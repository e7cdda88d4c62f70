import { httpStatus, isError, rootOf, serviceOf, type Evidence } from '../evidence';
import { choice, type Lab, right, unknownSpan, wrong } from '../lab.types';
import type { JaegerTrace } from '@traceshop/testing';

const declined = (evidence: Evidence): JaegerTrace[] => evidence.checkouts().filter((t) => httpStatus(rootOf(t)!) === 402);
const consumedBy = (trace: JaegerTrace, service: string) =>
  trace.spans.some((s) => serviceOf(trace, s) === service && s.operationName.includes('process') && !isError(s));

export const paymentDeclines: Lab = {
  name: 'payment-declines',
  scenario: 'payment-declines',
  // Half the charges: declined and approved checkouts of the same minute side by side.
  variant: 'half',
  practise: 'error status along a call chain, compensation (the reservation released)',
  faultStaysOn: true,
  questions: [
    {
      id: 'status',
      ask: 'What status does the gateway answer a declined checkout with?',
      hint: 'Search gateway POST /api/checkout with error=true and read the root span’s http.response.status_code.',
      grade(answer, evidence) {
        const statuses = declined(evidence).map((t) => httpStatus(rootOf(t)!));
        return statuses.length > 0 && Number(answer) === statuses[0] ? right : wrong('Not what the root spans of this run’s failed checkouts say.');
      },
    },
    {
      id: 'span',
      ask: 'The span id of the deepest red span of a declined checkout: where was the decline decided?',
      hint: 'Follow the red spans down from the root: the last red one has no red child.',
      grade(answer, evidence) {
        const found = evidence.findSpan(answer);
        if (!found) return unknownSpan;
        const { trace, span } = found;
        if (!declined(evidence).includes(trace)) return wrong('That span is not in a declined checkout’s trace (402 at the root).');
        if (!isError(span)) return wrong('That span is not red (no error status).');
        return serviceOf(trace, span) === 'payment-provider' ? right : wrong('There is a red span deeper down: whose decision was it?');
      },
    },
    {
      id: 'event',
      ask: 'Which event gives the reserved stock back?',
      choices: ['order.confirmed', 'order.declined', 'payment.requests', 'reservation.expired'],
      hint: 'In a declined checkout, after the 402 is decided, the gateway publishes one event: which, and who consumes it?',
      grade(answer, evidence) {
        if (!declined(evidence).some((t) => consumedBy(t, 'inventory'))) return wrong('No declined checkout of this run shows inventory consuming an event yet: wait a moment and check again.');
        return choice(answer, 'order.declined', 'Look at the routing key of the message inventory consumes in a declined checkout.');
      },
    },
  ],
  // A decline is the provider's decision, not a bug: there is nothing to apply. The lesson is
  // that the system compensates, so verify runs the traffic again with the fault on and checks that.
  fix: {
    does: 'nothing to apply: a decline is the provider’s decision. Verify checks what must hold while it declines: every declined checkout answered 402 (never 5xx) and its stock given back',
    apply: async () => undefined,
    undo: async () => undefined,
  },
  verify(evidence) {
    const all = evidence.checkouts();
    const refused = declined(evidence);
    if (refused.length === 0) return wrong('No declined checkout in the verify run: is payment-declines on?');
    const broken = all.filter((t) => (httpStatus(rootOf(t)!) ?? 500) >= 500);
    if (broken.length > 0) return wrong(`${broken.length} checkouts answered 5xx`);
    const kept = refused.filter((t) => !consumedBy(t, 'inventory'));
    return kept.length === 0 ? right : wrong(`${kept.length} of ${refused.length} declined checkouts did not give their stock back`);
  },
};
