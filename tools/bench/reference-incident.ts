/**
 * Does the slow-checkout scenario still reproduce its reference incident? Measures it the way a
 * learner meets it: the native stack with its defaults (FRAUD_HISTORY_ROWS, PROVIDER_LATENCY_MS),
 * slow-checkout on, N checkouts one after another, each trace read back from Jaeger and broken
 * down as `npm run trace -- <id> --summary` does (tools/trace/src/reference.ts: the reference
 * figures live there). Then the lab's fix, its CREATE INDEX taken from docs/labs/slow-checkout.md,
 * N checkouts more, and its DROP INDEX to put the incident back. Prints a Markdown report (medians
 * and ranges per part, beside the reference); --out writes it to a file too. Not a test.
 *
 *   npm run bench -- reference-incident [--checkouts 10] [--port-base 25000] [--running] [--rows N] [--out <file>]
 *
 * --running uses the stack `npm start` runs (default ports, database `traceshop`, the
 * repository's flag file) instead of starting a throw-away one; its scenario is switched off again
 * at the end. Run it alone on the machine: other work moves every number here.
 */
import { databaseUrl, getTrace, jsonClient, type JaegerLog, type JaegerTrace, parentOf, roots, serviceOf, setScenarios, stackPorts, startStack, tag, waitFor } from '@traceshop/testing';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { buildModel } from '../trace/src/model';
import { painter } from '../trace/src/format';
import { compareWithReference, renderReference, type ReferencePart } from '../trace/src/reference';
import { eventName, field } from '../trace/src/spans';

const root = join(__dirname, '../..');
const { values: args } = parseArgs({
  options: {
    checkouts: { type: 'string', default: '10' },
    'port-base': { type: 'string', default: '25000' },
    running: { type: 'boolean', default: false },
    rows: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('usage: npm run bench -- reference-incident [--checkouts 10] [--port-base 25000] [--running] [--rows <FRAUD_HISTORY_ROWS>] [--out <file>] (tools/bench/README.md)');
  process.exit(0);
}
const checkouts = Number(args.checkouts);
const CARD = { cardNumber: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '7391' };

/** The stack to measure: its URLs, database and flag file, and how to let go of it. */
interface Target {
  gatewayUrl: string;
  jaegerUrl: string;
  databaseUrl: string;
  flagsFile: string;
  seedLine?: string;
  stop(): Promise<void>;
}

async function target(): Promise<Target> {
  if (args.running) {
    const ports = stackPorts();
    const flagsFile = join(root, 'flags/traceshop.flagd.json');
    return {
      gatewayUrl: `http://127.0.0.1:${ports.apps.gateway}`,
      jaegerUrl: `http://127.0.0.1:${ports.jaeger.queryHttp}`,
      databaseUrl: databaseUrl('traceshop'),
      flagsFile,
      stop: async () => setScenarios(flagsFile, ['slow-checkout'], false),
    };
  }
  const started = Date.now();
  // --rows: another FRAUD_HISTORY_ROWS than payment's default (to see how the query scales).
  const env: Record<string, string> = args.rows === undefined ? {} : { FRAUD_HISTORY_ROWS: args.rows };
  const stack = await startStack({ portBase: Number(args['port-base']), logs: 'files', env });
  console.error(`stack up in ${((Date.now() - started) / 1000).toFixed(0)} s (logs: ${stack.logDir})`);
  const seedLine = /seeded \d+ rows of card history in \d+ ms/.exec(readFileSync(join(stack.logDir, 'payment.log'), 'utf8'))?.[0];
  return { ...stack, seedLine, stop: () => stack.stop() };
}

/** A new customer buys one T-shirt with the test card; resolves with the checkout's whole trace. */
async function checkout(t: Target): Promise<JaegerTrace> {
  const anonymous = jsonClient(t.gatewayUrl);
  const email = `bench-${randomBytes(5).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  await anonymous.post('/api/auth/register', { email, password });
  const login = await anonymous.post('/api/auth/login', { email, password });
  const api = jsonClient(t.gatewayUrl, { authorization: `Bearer ${login.body.accessToken}` });
  await api.put('/api/cart/items/SKU-TEE-001', { quantity: 1 });
  const res = await api.post('/api/checkout', { payment: CARD });
  if (res.status !== 201) throw new Error(`checkout answered ${res.status}: ${JSON.stringify(res.body)}`);
  return getTrace(t.jaegerUrl, res.headers.get('x-trace-id')!, { until: whole, timeoutMs: 30_000 });
}

/** One root, every parent present, the provider's and both order consumers' spans in. */
function whole(trace: JaegerTrace): boolean {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  const consumer = (service: string) => trace.spans.some((s) => serviceOf(trace, s) === service && tag(s, 'span.kind') === 'consumer');
  return (
    roots(trace).length === 1 &&
    trace.spans.every((s) => !parentOf(s) || ids.has(parentOf(s)!)) &&
    ['payment', 'cart', 'inventory'].every(consumer) &&
    trace.spans.some((s) => serviceOf(trace, s) === 'payment-provider')
  );
}

/** Both services the scenario changes evaluated slow-checkout to `on` in this trace. */
function bothSawItOn(trace: JaegerTrace): boolean {
  const on = (l: JaegerLog) => eventName(l) === 'feature_flag.evaluation' && field(l, 'feature_flag.key') === 'slow-checkout' && field(l, 'feature_flag.result.variant') === 'on';
  const saw = new Set(trace.spans.filter((s) => s.logs.some(on)).map((s) => serviceOf(trace, s)));
  return saw.has('payment') && saw.has('payment-provider');
}

/** The fraud-history query of a trace, found by its statement (span names change with the conventions). */
function fraudQueryUs(trace: JaegerTrace): number | undefined {
  const span = trace.spans.find((s) => String(tag(s, 'db.query.text') ?? tag(s, 'db.statement') ?? '').includes('fraud_history'));
  return span?.duration;
}

/** N checkouts: each one's breakdown, and its fraud query. */
async function measure(t: Target, label: string): Promise<{ parts: ReferencePart[][]; fraudUs: number[]; traceIds: string[] }> {
  const parts: ReferencePart[][] = [];
  const fraudUs: number[] = [];
  const traceIds: string[] = [];
  for (let i = 0; i < checkouts; i++) {
    const trace = await checkout(t);
    parts.push(compareWithReference(trace, buildModel(trace))!);
    fraudUs.push(fraudQueryUs(trace) ?? NaN);
    traceIds.push(trace.traceID);
    console.error(`${label} ${i + 1}/${checkouts}: trace ${trace.traceID}, payment ${ms(parts.at(-1)!.find((p) => p.part === 'payment')!.measuredUs)}, fraud query ${ms(fraudUs.at(-1)!)}`);
  }
  return { parts, fraudUs, traceIds };
}

/** The database's own timing of the lab's EXPLAIN ANALYZE, median of three, and how it read the table. */
async function explainMs(pg: Client, explain: string): Promise<{ ms: number; plan: string }> {
  const runs: { ms: number; plan: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const { rows } = await pg.query(explain);
    const lines = rows.map((r) => r['QUERY PLAN'] as string);
    runs.push({ ms: Number(/Execution Time: ([\d.]+) ms/.exec(lines.join('\n'))![1]), plan: lines.find((l) => /Scan on fraud_history|Scan using/.test(l))!.trim() });
  }
  return runs.sort((a, b) => a.ms - b.ms)[1];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (us: number) => (us >= 1_000_000 ? `${(us / 1_000_000).toFixed(2)} s` : `${(us / 1000).toFixed(1)} ms`);
const range = (xs: number[]) => `${ms(Math.min(...xs))}–${ms(Math.max(...xs))}`;

async function main() {
  const lab = readFileSync(join(root, 'docs/labs/slow-checkout.md'), 'utf8');
  // The lab's own statements: what a learner runs is what is measured.
  const [createIndex, dropIndex, explain] = [/^CREATE INDEX .+;$/m, /^DROP INDEX .+;$/m, /^ *EXPLAIN ANALYZE[\s\S]+?;$/m].map((re) => re.exec(lab)![0]);
  const t = await target();
  const pg = new Client({ connectionString: t.databaseUrl });
  try {
    await pg.connect();
    await pg.query('SET search_path TO payment');
    const { rows: size } = await pg.query(`SELECT count(*)::int AS rows, pg_size_pretty(pg_total_relation_size('fraud_history')) AS size FROM fraud_history`);

    setScenarios(t.flagsFile, ['slow-checkout'], true);
    // The services poll the flag file: wait for a checkout both have seen it in (it warms up, too).
    await waitFor(() => checkout(t), bothSawItOn, { timeoutMs: 60_000, intervalMs: 0, what: 'a checkout with slow-checkout on' });
    const withoutIndex = await measure(t, 'no index');
    const explainBefore = await explainMs(pg, explain);

    const created = Date.now();
    await pg.query(createIndex);
    const indexSeconds = (Date.now() - created) / 1000;
    let withIndex;
    let explainAfter;
    try {
      withIndex = await measure(t, 'index');
      explainAfter = await explainMs(pg, explain);
    } finally {
      await pg.query(dropIndex);
    }

    const names = withoutIndex.parts[0].map((p) => p.part);
    const column = (runs: ReferencePart[][], p: string) => runs.map((ps) => ps.find((x) => x.part === p)!.measuredUs);
    // The checkout whose payment took the median time, as `npm run trace -- <id> --summary` ends.
    const payments = column(withoutIndex.parts, 'payment');
    const typical = payments.indexOf(median(payments));
    const report = [
      '| part | median | range | reference |',
      '| --- | --- | --- | --- |',
      ...names.map((p) => {
        const ref = withoutIndex.parts[0].find((x) => x.part === p)!.referenceUs;
        return `| ${p.trim()}${p.startsWith(' ') ? ' (in payment)' : ''} | ${ms(median(column(withoutIndex.parts, p)))} | ${range(column(withoutIndex.parts, p))} | ${ref === undefined ? '–' : ms(ref)} |`;
      }),
      `| the fraud-history query | ${ms(median(withoutIndex.fraudUs))} | ${range(withoutIndex.fraudUs)} | |`,
      '',
      `With the lab's index (\`${createIndex}\`, built in ${indexSeconds.toFixed(1)} s), ${checkouts} checkouts more:`,
      '',
      '| | median | range |',
      '| --- | --- | --- |',
      `| the fraud-history query | ${ms(median(withIndex!.fraudUs))} | ${range(withIndex!.fraudUs)} |`,
      `| payment | ${ms(median(column(withIndex!.parts, 'payment')))} | ${range(column(withIndex!.parts, 'payment'))} |`,
      '',
      `The lab's \`EXPLAIN ANALYZE\` (median of 3): without the index ${explainBefore.ms.toFixed(1)} ms (\`${explainBefore.plan}\`), with it ${explainAfter!.ms.toFixed(2)} ms (\`${explainAfter!.plan}\`).`,
      '',
      `The checkout of median payment time, as \`npm run trace -- ${withoutIndex.traceIds[typical]} --summary\` ends:`,
      '',
      '```',
      renderReference(withoutIndex.parts[typical], painter(false)).trimEnd(),
      '```',
      '',
      `${checkouts} checkouts each, one after another, slow-checkout on; \`fraud_history\`: ${size[0].rows.toLocaleString('en')} rows, ${size[0].size}${t.seedLine ? ` (${t.seedLine})` : ''}. ` +
        `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} × ${cpus()[0].model.trim()}, Linux ${release()}, Node ${process.versions.node}, ${args.running ? 'the running `npm start` stack' : 'a fresh native stack (startStack)'}.`,
      '',
    ].join('\n');
    process.stdout.write(report);
    if (args.out) writeFileSync(args.out, report);
  } finally {
    await pg.end().catch(() => undefined);
    await t.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
