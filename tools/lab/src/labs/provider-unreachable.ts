import { childrenOf, httpStatus, kindOf, median, mode, rootOf, serviceOf, tag, type Evidence } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, right, wrong, type Lab } from '../lab.types';

/** Every `payment.charge` of the run with payment's calls to the provider under it. */
function charges(evidence: Evidence) {
  return evidence.traces.flatMap((t) =>
    t.spans.filter((s) => s.operationName === 'payment.charge' && serviceOf(t, s) === 'payment').map((span) => ({ span, calls: childrenOf(t, span).filter((c) => kindOf(c) === 'client') })),
  );
}

/** How the gateway answered the run's checkouts: the status on each checkout's root span. */
const answers = (evidence: Evidence) => evidence.checkouts().map((t) => httpStatus(rootOf(t)!) ?? 0);

/** The status a server span records when its caller hung up before an answer. */
const CLIENT_CLOSED_REQUEST = 499;

/** What the shopper is told for each status the checkout answers with. */
const TOLD: Record<number, string> = { 201: 'paid', 202: 'pending', 402: 'declined', 502: 'failed', 504: 'timeout' };

export const providerUnreachable: Lab = {
  name: 'provider-unreachable',
  scenario: 'provider-unreachable',
  practise: 'a dependency that never answers: timeouts on spans, fail fast with a circuit breaker',
  faultStaysOn: true,
  questions: [
    {
      id: 'wait',
      ask: 'How many seconds does payment wait for the card processor before it gives up?',
      hint: 'Open a checkout and find payment’s `POST` to payment-provider under `payment.charge`: how long is it, and how does it end?',
      grade(answer, evidence) {
        const waited = median(charges(evidence).flatMap((c) => c.calls.map((s) => s.duration / 1e6)));
        if (waited === undefined) return wrong('No call to the provider in this run: run `npm run lab -- start provider-unreachable` again.');
        return Math.abs(Number(answer) - waited) <= Math.max(0.5, waited * 0.1) ? right : wrong('Read the duration of payment’s `POST` client span itself, not the whole checkout’s.');
      },
    },
    {
      id: 'provider-answered',
      ask: 'What did the card processor answer?',
      choices: ['approved', 'declined', 'error', 'nothing'],
      hint: 'Read `http.response.status_code` on the provider’s `POST /charges`, and what ended payment’s call above it.',
      grade(answer, evidence) {
        const served = charges(evidence).flatMap((c) => c.calls.flatMap((call) => evidence.traces.flatMap((t) => childrenOf(t, call))));
        // 499: the caller hung up before any answer was sent (nginx's "client closed request").
        const answered = served.some((s) => httpStatus(s) !== CLIENT_CLOSED_REQUEST);
        return choice(answer, answered ? 'error' : 'nothing', 'Look the provider’s status code up (it is not a standard one: nginx made it up), and at what ended payment’s call: an answer, or its own timeout?');
      },
    },
    {
      id: 'shopper-told',
      ask: 'What does the shopper see after the wait?',
      choices: ['paid', 'pending', 'declined', 'failed', 'timeout'],
      hint: 'The gateway’s root span `POST /api/checkout` carries the status it answered.',
      grade: (answer, evidence) => choice(answer, TOLD[mode(answers(evidence)) ?? 0] ?? 'pending', 'Read `http.response.status_code` on the checkout’s root span, and look it up in the README’s API table.'),
    },
  ],
  fix: fixSwitch('provider-unreachable'),
  verify(evidence, k6Green) {
    const refused = charges(evidence).filter((c) => tag(c.span, 'traceshop.circuit.state') === 'open');
    if (refused.length === 0) return wrong('No charge was refused by an open circuit: is `fix.provider-unreachable` on?');
    if (refused.some((c) => c.calls.length > 0)) return wrong('A charge refused by the open circuit still called the provider.');
    if (!k6Green) return wrong('k6’s outage threshold is still red: checkouts after the first still wait for the provider.');
    return right;
  },
};
