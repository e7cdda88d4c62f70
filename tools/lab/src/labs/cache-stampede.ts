import Redis from 'ioredis';
import { isQuery, serviceOf, subtree, tag, type Evidence } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, right, wrong, type Lab } from '../lab.types';

/** The product-list reads of inventory that went to Postgres, by the second they started in. */
function postgresReadsPerBurst(evidence: Evidence): number[] {
  const bySecond = new Map<number, number>();
  for (const t of evidence.traces) {
    for (const read of t.spans.filter((s) => serviceOf(t, s) === 'inventory' && tag(s, 'traceshop.cache.hit') !== undefined)) {
      if (!subtree(t, read).some(isQuery)) continue;
      const second = Math.floor(read.startTime / 1_000_000);
      bySecond.set(second, (bySecond.get(second) ?? 0) + 1);
    }
  }
  return [...bySecond.values()];
}

const hits = (evidence: Evidence) =>
  evidence.traces.flatMap((t) => t.spans.filter((s) => serviceOf(t, s) === 'inventory').map((s) => tag(s, 'traceshop.cache.hit')).filter((h) => h !== undefined));

export const cacheStampede: Lab = {
  name: 'cache-stampede',
  scenario: 'cache-stampede',
  practise: 'a cache that stopped working, seen in Redis and Postgres spans',
  faultStaysOn: true,
  // A stampede starts when a hot key is gone: the list a lab before this one cached (for
  // PRODUCT_CACHE_TTL_SECONDS) is deleted, as if it had just expired.
  async prepare(ctx) {
    const redis = new Redis(ctx.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      await redis.del(`${ctx.redisKeyPrefix}products`);
    } catch (e) {
      console.log(`(could not empty the product cache at ${ctx.redisUrl}: ${(e as Error).message}; with compose: docker compose exec redis redis-cli DEL products, or wait 30 s)`);
    } finally {
      redis.disconnect();
    }
  },
  questions: [
    {
      id: 'hit',
      ask: 'What does `traceshop.cache.hit` say on the product reads of a burst?',
      choices: ['true', 'false', 'both'],
      hint: 'Open two reads of the same burst and click the span that carries traceshop.cache.hit.',
      grade(answer, evidence) {
        const seen = new Set(hits(evidence).map(String));
        return choice(answer, seen.size > 1 ? 'both' : [...seen][0] ?? '(none)', 'Look at that attribute on more than one read.');
      },
    },
    {
      id: 'reads',
      ask: 'In one burst, how many requests asked Postgres for the product list?',
      hint: 'Search inventory GET /products over the run: count the reads of the same second that have Postgres spans.',
      grade(answer, evidence) {
        const given = Number(answer);
        const ok = postgresReadsPerBurst(evidence).some((n) => Math.abs(n - given) <= Math.max(1, n / 4));
        return ok ? right : wrong('Not what this run’s bursts show: group the reads by the second they started in.');
      },
    },
    {
      id: 'cause',
      ask: 'Why does every read go to Postgres?',
      choices: ['cache-never-written', 'cache-expired', 'redis-down', 'n-plus-one'],
      hint: 'Which Redis commands run on a read, and is there ever one that writes the list?',
      grade: (answer) => choice(answer, 'cache-never-written', 'Redis answers, and quickly: look at which commands are missing.'),
    },
  ],
  fix: fixSwitch('cache-stampede'),
  verify(evidence, k6Green) {
    const bursts = postgresReadsPerBurst(evidence);
    if (!k6Green) return wrong('k6’s thresholds are still red.');
    const worst = Math.max(0, ...bursts);
    return worst <= 2 ? right : wrong(`up to ${worst} reads of one second still went to Postgres`);
  },
};
