import { Client } from 'pg';
import { Evidence, isQuery, queryText, rootOf, serviceOf } from '../evidence';
import { choice, type Lab, type LabContext, right, unknownSpan, wrong } from '../lab.types';
import type { JaegerSpan, JaegerTrace } from '@traceshop/testing';

/** The index the learner adds: the fix of the lab (docs/labs/slow-checkout.md). */
export const INDEX_SQL = 'CREATE INDEX IF NOT EXISTS fraud_history_card_recent ON payment.fraud_history (card_fingerprint, recorded_at)';
const DROP_SQL = 'DROP INDEX IF EXISTS payment.fraud_history_card_recent';

/** Per checkout, the service whose topmost span is the longest: who owns the time. */
function owner(trace: JaegerTrace): string | undefined {
  const root = rootOf(trace);
  if (!root) return undefined;
  const gateway = serviceOf(trace, root);
  const byService = new Map<string, number>();
  for (const span of trace.spans) {
    const service = serviceOf(trace, span);
    if (service !== gateway) byService.set(service, Math.max(byService.get(service) ?? 0, span.duration));
  }
  return [...byService.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

const slowest = (trace: JaegerTrace, service: string): JaegerSpan | undefined =>
  trace.spans.filter((s) => isQuery(s) && serviceOf(trace, s) === service).sort((a, b) => b.duration - a.duration)[0];

/** The provider's share of each checkout, in percent: its server span against the root. */
function providerShares(evidence: Evidence): number[] {
  return evidence.checkouts().flatMap((t) => {
    const root = rootOf(t)!;
    const provider = t.spans.filter((s) => serviceOf(t, s) === 'payment-provider').sort((a, b) => b.duration - a.duration)[0];
    return provider ? [(100 * provider.duration) / root.duration] : [];
  });
}

async function sql(ctx: LabContext, statement: string) {
  const client = new Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export const slowCheckout: Lab = {
  name: 'slow-checkout',
  scenario: 'slow-checkout',
  practise: 'latency attribution: which service, which span, which query; EXPLAIN and an index',
  faultStaysOn: true,
  questions: [
    {
      id: 'service',
      ask: 'Which service owns most of a slow checkout’s time?',
      hint: 'Compare each service’s topmost span with the checkout’s whole duration: whose bar covers most of it?',
      grade(answer, evidence) {
        const owners = evidence.checkouts().map(owner);
        const expected = owners.sort((a, b) => owners.filter((o) => o === b).length - owners.filter((o) => o === a).length)[0];
        return choice(answer, expected ?? '(no checkout in this run)', 'Not that one: which service’s span is nearly as long as the checkout itself?');
      },
    },
    {
      id: 'span',
      ask: 'The span id of the slowest database query in that service (`npm run trace -- <trace-id> --ids` shows span ids).',
      hint: 'Database spans carry the statement (db.query.text). Among that service’s, find the longest one.',
      grade(answer, evidence) {
        const found = evidence.findSpan(answer);
        if (!found) return unknownSpan;
        const { trace, span } = found;
        if (!isQuery(span)) return wrong(`That is \`${span.operationName}\`, not a database query: a query span carries db.query.text.`);
        const service = serviceOf(trace, span);
        const expected = owner(trace);
        if (service !== expected) return wrong(`That query is ${service}’s; the time of this checkout is another service’s.`);
        if (slowest(trace, service)?.spanID !== span.spanID) return wrong('There is a slower query of the same service in that trace.');
        return right;
      },
    },
    {
      id: 'cause',
      ask: 'Why is that query slow?',
      choices: ['missing-index', 'lock-wait', 'slow-network', 'retries', 'too-many-queries'],
      hint: 'Run the statement with EXPLAIN ANALYZE: how does Postgres read the table, and how many rows does it throw away?',
      grade: (answer) => choice(answer, 'missing-index', 'Look at the plan again: a Seq Scan that removes nearly every row it reads says what is missing.'),
    },
    {
      id: 'provider-share',
      ask: 'What percentage of a slow checkout is the payment provider’s own work (its POST /charges server span)?',
      hint: 'Divide the provider’s span by the checkout’s root span (`npm run trace -- <id> --summary` helps).',
      grade(answer, evidence) {
        // Any one checkout of the run, as a person reads one trace (within 5 points: rounding).
        const shares = providerShares(evidence);
        const given = Number(answer.replace('%', ''));
        if (shares.length === 0) return wrong('No checkout of this run reached the provider: run `npm run lab -- start slow-checkout` again.');
        if (!Number.isFinite(given)) return wrong('Answer with a number of percent, e.g. 42.');
        return shares.some((share) => Math.abs(given - share) <= 5)
          ? right
          : wrong('Not what this run’s traces say: divide the provider’s server span by the checkout’s root span, in one checkout.');
      },
    },
  ],
  fix: {
    does: `adds the index the fraud check's query needs, in payment's database:\n  ${INDEX_SQL};\n(compose: docker compose exec postgres psql -U traceshop traceshop -c '<that statement>')`,
    apply: (ctx) => sql(ctx, INDEX_SQL),
    undo: (ctx) => sql(ctx, DROP_SQL),
  },
  verify(evidence) {
    // The query is no longer a visible share of payment's work: a scan of the archive is ~20–30%
    // of the checkout, an index lookup a fraction of a percent. The provider's 2 s stay, so the
    // incident script's latency thresholds stay red: that part is not yours to index away.
    const shares = evidence.checkouts().flatMap((t) => {
      const root = rootOf(t)!;
      const fraud = t.spans.filter((s) => queryText(s)?.includes('fraud_history'));
      return fraud.map((s) => (100 * s.duration) / root.duration);
    });
    if (shares.length === 0) return wrong('No checkout of the verify run ran the fraud-history query: is slow-checkout still on?');
    const worst = Math.max(...shares);
    return worst < 5
      ? { ok: true, hint: 'k6’s latency thresholds may stay red: the provider’s 2 s were never yours to index away.' }
      : wrong(`The fraud-history query is still up to ${worst.toFixed(0)}% of a checkout: is the index there (\\d payment.fraud_history)?`);
  },
};
