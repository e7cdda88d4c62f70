import type { JaegerSpan, JaegerTrace } from '@traceshop/testing';
import { httpStatus, kindOf, median, mode, rootOf, serviceOf, tag, type Evidence } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, right, wrong, type Lab } from '../lab.types';

const endOf = (s: JaegerSpan) => s.startTime + s.duration;
/** The provider's server span of a checkout: where the charge is made. */
const providerCharge = (t: JaegerTrace) => t.spans.find((s) => serviceOf(t, s) === 'payment-provider' && kindOf(s) === 'server');
/** payment's and the provider's spans of a checkout that end after the gateway answered (its root span ended). */
const outliving = (t: JaegerTrace) => t.spans.filter((s) => ['payment', 'payment-provider'].includes(serviceOf(t, s)) && endOf(s) > endOf(rootOf(t)!));
/** A charge the provider approved in this trace. */
const approved = (t: JaegerTrace) => t.spans.some((s) => s.operationName === 'payment.charge' && tag(s, 'traceshop.payment.status') === 'approved');

/** Per checkout that reached the provider: milliseconds from the gateway's answer to the end of the charge (negative: before). */
function chargeAfterAnswerMs(evidence: Evidence): number[] {
  return evidence.checkouts().flatMap((t) => {
    const charge = providerCharge(t);
    return charge ? [(endOf(charge) - endOf(rootOf(t)!)) / 1000] : [];
  });
}

export const orphanedWork: Lab = {
  name: 'orphaned-work',
  scenario: 'orphaned-work',
  practise: 'work after the answer: spans that outlive their root, deadlines that travel',
  faultStaysOn: true,
  questions: [
    {
      id: 'status',
      ask: 'What HTTP status did the customers get for their checkouts?',
      hint: 'The status code is on the root span of each checkout trace (gateway `POST /api/checkout`).',
      grade(answer, evidence) {
        const status = mode(evidence.checkouts().map((t) => httpStatus(rootOf(t)!) ?? 0));
        return Number(answer) === status ? right : wrong('Read `http.response.status_code` on the root spans of the run.');
      },
    },
    {
      id: 'after',
      ask: 'How long, in milliseconds, after the gateway answered did the provider finish the charge?',
      hint: 'Compare where the root span ends with where the provider’s `POST /charges` ends, in the same trace.',
      grade(answer, evidence) {
        const after = median(chargeAfterAnswerMs(evidence));
        const given = Number(answer.replace(/\s*ms$/i, ''));
        if (!Number.isFinite(given)) return wrong('A number of milliseconds, e.g. 500.');
        if (after === undefined) return wrong('No checkout of this run reached the provider.');
        const close = Math.abs(given - after) <= Math.max(150, 0.2 * Math.abs(after));
        return close ? right : wrong('The end of the provider’s server span minus the end of the root span (start + duration of each).');
      },
    },
    {
      id: 'outcome',
      ask: 'What became of those orders in the end?',
      choices: ['paid', 'failed', 'pending', 'charged-twice'],
      hint: 'Nobody heard payment’s reply. Search the run for traces rooted at `checkout.reconcile` (each links to the checkout it finished) and read `traceshop.checkout.state`.',
      grade(answer, evidence) {
        const settled = evidence.rootedAt('gateway', 'checkout.reconcile').map((t) => String(tag(rootOf(t)!, 'traceshop.checkout.state') ?? ''));
        const counts = new Map<string, number>();
        for (const s of settled) counts.set(s, (counts.get(s) ?? 0) + 1);
        const expected = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'pending';
        return choice(answer, expected, 'The client was told “not known yet”. Who finds out later, and what does the reconciler’s trace say?');
      },
    },
  ],
  fix: fixSwitch('orphaned-work'),
  verify(evidence) {
    const checkouts = evidence.checkouts();
    if (checkouts.length === 0) return wrong('No checkout in the verify run.');
    const late = checkouts.filter((t) => outliving(t).length > 0);
    if (late.length > 0) return wrong(`in ${late.length} of ${checkouts.length} checkouts payment still works after the gateway answered`);
    const toldFailed = checkouts.filter((t) => (httpStatus(rootOf(t)!) ?? 0) >= 500);
    const chargedAnyway = toldFailed.filter(approved);
    if (chargedAnyway.length > 0) return wrong(`${chargedAnyway.length} checkouts answered ${httpStatus(rootOf(chargedAnyway[0])!)} were charged all the same`);
    // k6 stays red on purpose: the fix makes the answer fast and true, not a 2 s charge fit in 1 s.
    return { ok: true, hint: `No payment work outlived its answer; ${toldFailed.length} of ${checkouts.length} checkouts were refused at once and none of them charged. k6 is still red: the budget itself is the lab’s last step.` };
  },
};
