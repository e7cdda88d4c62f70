import { childrenOf, kindOf, median, serviceOf, type Evidence } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, right, wrong, type Lab } from '../lab.types';

/** Per charge: payment's HTTP client spans to the provider under `payment.charge`, in start order. */
function attemptsPerCharge(evidence: Evidence) {
  return evidence.traces.flatMap((t) =>
    t.spans
      .filter((s) => s.operationName === 'payment.charge' && serviceOf(t, s) === 'payment')
      .map((charge) => childrenOf(t, charge).filter((c) => kindOf(c) === 'client').sort((a, b) => a.startTime - b.startTime)),
  );
}

/** Milliseconds between the end of one attempt and the start of the next. */
const waits = (evidence: Evidence) =>
  attemptsPerCharge(evidence).flatMap((attempts) => attempts.slice(1).map((a, i) => (a.startTime - (attempts[i].startTime + attempts[i].duration)) / 1000));

export const retryStorm: Lab = {
  name: 'retry-storm',
  scenario: 'retry-storm',
  practise: 'retries as load: counting sibling spans, amplification',
  faultStaysOn: true,
  questions: [
    {
      id: 'attempts',
      ask: 'At most, how many times did payment call the provider for one charge?',
      hint: 'Under payment’s `payment.charge`, count the client spans that go to payment-provider; look at a checkout that was not paid.',
      grade(answer, evidence) {
        const counts = attemptsPerCharge(evidence).map((a) => a.length);
        return Number(answer) === Math.max(0, ...counts) ? right : wrong('Count again: the siblings under one `payment.charge`, each with its provider server span, in the worst checkout.');
      },
    },
    {
      id: 'wait',
      ask: 'How long does payment wait between one attempt and the next?',
      choices: ['none', 'fixed', 'growing'],
      hint: 'Look at the timeline of those siblings: where does one end and the next begin?',
      grade(answer, evidence) {
        const gap = median(waits(evidence)) ?? 0;
        return choice(answer, gap < 10 ? 'none' : 'growing', 'Compare the end of each attempt with the start of the next, in one trace.');
      },
    },
    {
      id: 'charged-twice',
      ask: 'Was any card charged more than once?',
      choices: ['yes', 'no'],
      hint: 'Compare the charge id on `payment.charge` with the successful provider spans: how many charges does one order get?',
      grade: (answer) => choice(answer, 'no', 'Every attempt carries the same Idempotency-Key: look at what the provider does with the second one.'),
    },
  ],
  fix: fixSwitch('retry-storm'),
  verify(evidence, k6Green) {
    const counts = attemptsPerCharge(evidence).map((a) => a.length);
    if (counts.length === 0) return wrong('No charge in the verify run.');
    const attempts = counts.reduce((a, b) => a + b, 0) / counts.length;
    if (!k6Green) return wrong('k6’s thresholds are still red.');
    return attempts < 2 ? right : wrong(`payment still calls the provider ${attempts.toFixed(1)} times per charge on average`);
  },
};
