import { childrenOf, rootOf, serviceOf } from '../evidence';
import { faultOff } from '../fixes';
import { choice, type Lab, right, unknownSpan, wrong } from '../lab.types';

export const brokenPropagation: Lab = {
  name: 'broken-propagation',
  scenario: 'broken-propagation',
  practise: 'context propagation over RabbitMQ: why a trace stops, and where the rest went',
  faultStaysOn: false,
  questions: [
    {
      id: 'span',
      ask: 'The span id of the span where a checkout’s trace stops: the last hop that still belongs to it but did none of the work.',
      hint: 'Follow the request down to the RabbitMQ hop to payment: which span has (nearly) no children where you expected the charge?',
      grade(answer, evidence) {
        const found = evidence.findSpan(answer);
        if (!found) return unknownSpan;
        const { trace, span } = found;
        if (!evidence.checkouts().includes(trace)) return wrong('That span is not in a checkout’s trace (one rooted at the gateway’s POST /api/checkout).');
        if (serviceOf(trace, span) !== 'payment') return wrong('The trace goes on below that span: follow it to the service that should have charged.');
        const work = childrenOf(trace, span).filter((c) => serviceOf(trace, c) === 'payment' && !c.operationName.startsWith('publish'));
        return work.length === 0 ? right : wrong('That span still has payment’s work under it: look for the one that is empty.');
      },
    },
    {
      id: 'trace',
      ask: 'The trace id of the trace where that checkout’s payment work went.',
      hint: 'Search service payment, no operation, the minutes of the run: which traces do not start at the gateway?',
      grade(answer, evidence) {
        const trace = evidence.findTrace(answer);
        if (!trace) return wrong('That trace id is not among the traces of this run.');
        const root = rootOf(trace);
        if (!root || serviceOf(trace, root) !== 'payment') return wrong('That trace starts somewhere else: the one you want starts in payment.');
        return trace.spans.some((s) => serviceOf(trace, s) === 'payment-provider') ? right : wrong('That payment trace has no charge in it.');
      },
    },
    {
      id: 'cause',
      ask: 'What broke the trace?',
      choices: ['context-not-extracted', 'sampling', 'collector-dropped', 'clock-skew'],
      hint: 'Open the orphan’s root span, its events: which flag was evaluated, and what does the consumer start its work from?',
      grade: (answer) => choice(answer, 'context-not-extracted', 'The spans are all there, only in two traces: what does a consumer need from the message to continue the producer’s trace?'),
    },
  ],
  // The fault is the lesson: the fix is the consumer that continues the context it was given,
  // which is the code with the fault switched off.
  fix: faultOff('broken-propagation', 'deploys the consumer that continues the context carried in the message headers (apps/payment/src/payment-requests.controller.ts without the fault): the scenario goes off'),
  verify(evidence) {
    const checkouts = evidence.checkouts();
    if (checkouts.length === 0) return wrong('No checkout in the verify run.');
    const cut = checkouts.filter((t) => !t.spans.some((s) => serviceOf(t, s) === 'payment-provider'));
    const orphans = evidence.rootedAt('payment');
    if (cut.length > 0) return wrong(`${cut.length} of ${checkouts.length} checkouts still stop at payment`);
    return orphans.length === 0 ? right : wrong(`${orphans.length} traces still start in payment`);
  },
};
