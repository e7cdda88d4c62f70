import type { Evidence } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, right, wrong, type Lab } from '../lab.types';

/** k6's own line between a slow checkout and the rest (SLOW_CHECKOUT_MS, k6/lib/journey.ts). */
const SLOW_MS = 1_000;
/** What the Collector's tail sampling keeps besides errors: traces over 500 ms, and 10% of the rest. */
const FAST_MS = 500;
/** A paid checkout: an error (a declined card's 402) is always kept, so it is neither fast nor slow here. */
const PAID = 201;
/** Verify passes when fewer than this share of the fast checkouts was kept (10% expected). */
const MAX_FAST_SHARE = 0.3;

/** The run's checkouts as k6 saw them (every one, sampled or not), each with whether Jaeger has its trace. */
function checkouts(evidence: Evidence) {
  return (evidence.run?.answers ?? []).map((a) => ({ ...a, inJaeger: evidence.findTrace(a.traceId) !== undefined }));
}
const slow = (evidence: Evidence) => checkouts(evidence).filter((c) => c.ms > SLOW_MS);
const fast = (evidence: Evidence) => checkouts(evidence).filter((c) => c.status === PAID && c.ms < FAST_MS);

export const samplingBlindSpot: Lab = {
  name: 'sampling-blind-spot',
  scenario: 'sampling-blind-spot',
  practise: 'head vs tail sampling: what a sampled trace store can and cannot answer',
  faultStaysOn: true,
  sampled: true,
  questions: [
    {
      id: 'k6-slow',
      ask: 'How many checkouts of the run did k6 see take more than a second?',
      hint: 'k6 prints a `slow checkout` line for each, and counts them in its summary (`slow_checkouts`).',
      grade: (answer, evidence) => (Number(answer) === slow(evidence).length ? right : wrong('Count the `slow checkout` lines of the run again (or `slow_checkouts` in its summary).')),
    },
    {
      id: 'in-jaeger',
      ask: 'How many of those slow checkouts can you open in Jaeger?',
      hint: 'Look each printed trace id up: `npm run trace -- <trace-id>` says when Jaeger has no such trace.',
      grade: (answer, evidence) =>
        Number(answer) === slow(evidence).filter((c) => c.inJaeger).length ? right : wrong('Look up every trace id of a slow checkout, not a search: a search shows only what was kept.'),
    },
    {
      id: 'why',
      ask: 'Why are they missing?',
      choices: ['collector-down', 'jaeger-evicted', 'head-sampling', 'tail-sampling'],
      hint: 'Compare how many checkouts k6 made with how many checkout traces Jaeger has at all, slow or fast; then open one that is there and read its entry span’s events.',
      grade: (answer) => choice(answer, 'head-sampling', 'The fast ones are missing as much as the slow ones: whatever dropped them decided before anyone knew how long the checkout would take.'),
    },
  ],
  fix: fixSwitch('sampling-blind-spot'),
  verify(evidence) {
    const slowOnes = slow(evidence);
    const fastOnes = fast(evidence);
    if (slowOnes.length === 0 || fastOnes.length === 0) return wrong('k6 printed no slow or no fast checkout in the verify run: is the shop up?');
    const missing = slowOnes.filter((c) => !c.inJaeger);
    const keptFast = fastOnes.filter((c) => c.inJaeger).length;
    const counts = `${slowOnes.length - missing.length} of ${slowOnes.length} slow checkouts and ${keptFast} of ${fastOnes.length} fast paid ones in Jaeger`;
    if (missing.length > 0) return wrong(`${counts}: a slow one is still missing (e.g. ${missing[0].traceId}).`);
    if (keptFast >= MAX_FAST_SHARE * fastOnes.length) return wrong(`${counts}: that is keeping nearly everything, not sampling.`);
    return { ok: true, hint: `${counts}.` };
  },
};
