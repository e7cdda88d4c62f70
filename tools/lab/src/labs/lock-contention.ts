import { isQuery, queryText, serviceOf, type Evidence } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, type Lab, right, unknownSpan, wrong } from '../lab.types';

/** The statements that take the hot row: the staircase's steps. */
const hotRow = (text: string | undefined) => text?.includes('counters') ?? false;

/** Per checkout, the longest inventory query: the one that waited, in a slow checkout. */
function longestInventoryQuery(evidence: Evidence) {
  return evidence.checkouts().map((t) => t.spans.filter((s) => isQuery(s) && serviceOf(t, s) === 'inventory').sort((a, b) => b.duration - a.duration)[0]);
}

export const lockContention: Lab = {
  name: 'lock-contention',
  scenario: 'lock-contention',
  practise: 'waiting, not working: a staircase of lock waits under concurrency',
  faultStaysOn: true,
  questions: [
    {
      id: 'span',
      ask: 'The span id of the database span where a slow checkout waits.',
      hint: 'Take the slowest checkout of a burst, expand inventory.reserve, and compare its first database span with the same span in the fastest one.',
      grade(answer, evidence) {
        const found = evidence.findSpan(answer);
        if (!found) return unknownSpan;
        const { trace, span } = found;
        if (!isQuery(span) || serviceOf(trace, span) !== 'inventory') return wrong('Look among inventory’s database spans.');
        return hotRow(queryText(span)) ? right : wrong('That query is not the one that waits: which statement is slow in the slow checkout and fast in the fast one?');
      },
    },
    {
      id: 'cause',
      ask: 'What is that span doing for most of its time?',
      choices: ['lock-wait', 'slow-query', 'cpu', 'network'],
      hint: 'The same statement takes a millisecond alone. What does a concurrent checkout hold until it commits?',
      grade: (answer) => choice(answer, 'lock-wait', 'The statement is trivial; the time is spent before it can run.'),
    },
  ],
  fix: fixSwitch('lock-contention'),
  verify(evidence, k6Green) {
    const longest = longestInventoryQuery(evidence).filter((s) => s !== undefined);
    if (longest.length === 0) return wrong('No checkout in the verify run.');
    if (!k6Green) return wrong('k6’s thresholds are still red.');
    const waiting = longest.filter((s) => hotRow(queryText(s)));
    return waiting.length === 0 ? right : wrong(`in ${waiting.length} of ${longest.length} checkouts the hot-row statement is still inventory’s longest query`);
  },
};
