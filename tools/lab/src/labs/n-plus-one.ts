import { isQuery, serviceOf, subtree, tag, type Evidence } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, right, wrong, type Lab } from '../lab.types';

/** Per product-list read that missed the cache: the Postgres queries it made. */
function queriesPerMiss(evidence: Evidence): number[] {
  return evidence.traces.flatMap((t) =>
    t.spans
      .filter((s) => serviceOf(t, s) === 'inventory' && tag(s, 'traceshop.cache.hit') === false)
      .map((read) => subtree(t, read).filter(isQuery).length),
  );
}

export const nPlusOne: Lab = {
  name: 'n-plus-one',
  scenario: 'n-plus-one',
  practise: 'the query ladder: many identical small spans instead of one',
  faultStaysOn: true,
  questions: [
    {
      id: 'queries',
      ask: 'How many Postgres queries does one product-list read make when it misses the cache?',
      hint: 'Search service inventory, operation GET /products; open a read whose span says traceshop.cache.hit=false and count its database spans.',
      grade(answer, evidence) {
        const counts = queriesPerMiss(evidence);
        return counts.includes(Number(answer)) ? right : wrong('Not what any miss of this run made: count the query spans (not pg-pool.connect) under one read.');
      },
    },
    {
      id: 'cause',
      ask: 'What kind of problem is it?',
      choices: ['n-plus-one', 'missing-index', 'lock-wait', 'cache-miss'],
      hint: 'Each query is fast. Read their statements: how do they differ from one another?',
      grade: (answer) => choice(answer, 'n-plus-one', 'Each query is under a millisecond: the problem is not one query but how many there are.'),
    },
  ],
  fix: fixSwitch('n-plus-one'),
  verify(evidence, k6Green) {
    const counts = queriesPerMiss(evidence);
    if (counts.length === 0) return wrong('No product-list read missed the cache in the verify run.');
    if (!k6Green) return wrong('k6’s thresholds are still red.');
    const worst = Math.max(...counts);
    return worst <= 2 ? right : wrong(`a product-list read still makes up to ${worst} queries`);
  },
};
