import {
  getTrace,
  jsonClient,
  JaegerTrace,
  parentOf,
  roots,
  samplerPorts,
  serviceOf,
  setFix,
  setScenarios,
  Stack,
  startStack,
  switchOff,
  waitFor,
} from '@traceshop/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLab } from './lab-cli';
import { spanFlagEvents } from './scenario-tools';
import { APPROVED_CARD, DECLINED_CARD, SLOW_ISSUER_CARD } from './shop';

/**
 * The two-layer telemetry tier of issue 13, natively: the services send to a routing Collector
 * (otel/collector.routing.yaml, static resolver), which spreads the traces over two tail-sampling
 * Collectors by trace id, in front of one Jaeger; two payments take checkouts from the same queue.
 * The rule the tier keeps: every span of a trace reaches the same sampler, so every trace Jaeger
 * holds is whole and each is kept or dropped as one. With the split-traces scenario on, the services
 * send past the router, each instance to a sampler of its own (as a plain Service in front of the
 * samplers would pin each connection): the samplers decide on parts, and traces have holes.
 */

const SERVICES = ['gateway', 'auth', 'cart', 'inventory', 'payment', 'payment-provider'];
/** Its own stack beside the one of global-setup: 400 ports above it. */
const PORT_BASE = Number(process.env.TRACESHOP_PORT_BASE ?? 18000) + 400;
const SAMPLERS = 2;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ portBase: PORT_BASE, samplers: SAMPLERS, sampling: 'tail', replicas: { payment: 2 }, env: { FRAUD_HISTORY_ROWS: '2000' } });
}, 240_000);
afterAll(async () => {
  if (!stack) return;
  switchOff(stack.flagsFile, 'split-traces');
  await stack.stop();
});

type Kind = 'fast' | 'slow' | 'declined';
const CARDS: Record<Kind, typeof APPROVED_CARD> = { fast: APPROVED_CARD, slow: SLOW_ISSUER_CARD, declined: DECLINED_CARD };
interface Sent {
  kind: Kind;
  status: number;
  traceId: string;
}

/** One checkout of `kind` by a new customer of this stack; its answer and trace id. */
async function checkout(kind: Kind): Promise<Sent> {
  const anonymous = jsonClient(stack.gatewayUrl);
  const email = `tier-${randomBytes(5).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  expect((await anonymous.post('/api/auth/register', { email, password })).status).toBe(201);
  const token = (await anonymous.post('/api/auth/login', { email, password })).body.accessToken as string;
  const api = jsonClient(stack.gatewayUrl, { authorization: `Bearer ${token}` });
  const products = (await api.get('/api/products')).body as { sku: string }[];
  await api.put(`/api/cart/items/${products.find((p) => !p.sku.includes('LIMITED'))!.sku}`, { quantity: 1 });
  const res = await api.post('/api/checkout', { payment: CARDS[kind] });
  return { kind, status: res.status, traceId: res.headers.get('x-trace-id')! };
}

/** `kinds` in order, four at a time (so both payments take some). */
async function checkouts(kinds: Kind[]): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let i = 0; i < kinds.length; i += 4) sent.push(...(await Promise.all(kinds.slice(i, i + 4).map(checkout))));
  return sent;
}

/** A sampler's metric (Prometheus text), summed over its series; 0 when it has none yet. */
async function samplerMetric(i: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${samplerPorts(PORT_BASE, i).metrics}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const RECEIVED = 'otelcol_processor_tail_sampling_new_trace_id_received';
const DECISIONS = 'otelcol_processor_tail_sampling_global_count_traces_sampled';
/** How many traces each sampler has received so far. */
const receivedCounts = async () => Promise.all(Array.from({ length: SAMPLERS }, (_, i) => samplerMetric(i + 1, RECEIVED)));

/**
 * Every sampler has received traces since `before` (receivedCounts) and decided on every trace it
 * received (the tail-sampling processor's own counters): from here on no decision is pending.
 */
async function decided(before: number[]): Promise<void> {
  await waitFor(
    async () => Promise.all(before.map(async (b, i) => ({ b, received: await samplerMetric(i + 1, RECEIVED), decisions: await samplerMetric(i + 1, DECISIONS) }))),
    (states) => states.every((s) => s.received > s.b && s.decisions >= s.received),
    { timeoutMs: 60_000, intervalMs: 500, what: 'every sampler to decide on every trace it received' },
  );
}

/** The trace as Jaeger holds it once its spans stop arriving (two reads a second apart agree); undefined if Jaeger has none. */
async function settled(traceId: string): Promise<JaegerTrace | undefined> {
  const read = async () => {
    const res = await fetch(new URL(`/api/traces/${traceId}`, stack.jaegerUrl));
    if (res.status === 404) return undefined;
    return ((await res.json()) as { data: JaegerTrace[] }).data[0];
  };
  let last = -1;
  const trace = await waitFor(
    async () => {
      const t = await read();
      const same = (t?.spans.length ?? 0) === last;
      last = t?.spans.length ?? 0;
      return { t, same };
    },
    (r) => r.same,
    { timeoutMs: 20_000, intervalMs: 1_000, what: `trace ${traceId} to settle` },
  );
  return trace.t;
}

/** One root, every parent present, all six services: the whole checkout. */
function holes(t: JaegerTrace): string[] {
  const ids = new Set(t.spans.map((s) => s.spanID));
  const problems: string[] = [];
  if (roots(t).length !== 1) problems.push(`${roots(t).length} roots`);
  const orphans = t.spans.filter((s) => parentOf(s) && !ids.has(parentOf(s)!));
  if (orphans.length > 0) problems.push(`parent missing under ${orphans.map((s) => s.operationName).join(', ')}`);
  const services = new Set(t.spans.map((s) => serviceOf(t, s)));
  const missing = SERVICES.filter((s) => !services.has(s));
  if (missing.length > 0) problems.push(`no ${missing.join(', ')}`);
  return problems;
}

const MIX: Kind[] = [...Array<Kind>(16).fill('fast'), 'slow', 'declined', 'slow', 'declined', 'slow', 'declined', 'declined', 'declined'];

describe('the two-layer telemetry tier (router by trace id, two tail samplers, two payments)', () => {
  it('keeps every trace whole or drops it whole, and still keeps the errors and the slow ones', async () => {
    const before = await receivedCounts();
    const sent = await checkouts(MIX);
    expect(sent.map((s) => s.status)).toEqual(MIX.map((k) => (k === 'declined' ? 402 : 201)));
    // The policies: every failed and every slow checkout kept, whole. They came last, so once they
    // are in, and the samplers have decided on all they received, the fast ones are settled too.
    for (const s of sent.filter((c) => c.kind !== 'fast')) {
      const t = await getTrace(stack.jaegerUrl, s.traceId, { until: (tr) => holes(tr).length === 0, timeoutMs: 60_000 }).catch(() => undefined);
      expect({ trace: s.traceId, kind: s.kind, whole: t !== undefined }).toEqual({ trace: s.traceId, kind: s.kind, whole: true });
    }
    await decided(before);

    const kept = new Map<string, JaegerTrace>();
    for (const [i, t] of (await Promise.all(sent.map((s) => settled(s.traceId)))).entries()) if (t) kept.set(sent[i].traceId, t);
    // Whole or nothing: no checkout has a part in Jaeger without the rest.
    expect(sent.filter((s) => kept.has(s.traceId)).map((s) => ({ trace: s.traceId, holes: holes(kept.get(s.traceId)!) }))).toEqual(
      sent.filter((s) => kept.has(s.traceId)).map((s) => ({ trace: s.traceId, holes: [] })),
    );
    // Sampling happened: of the fast paid ones, some were dropped (10% kept).
    expect(sent.filter((s) => s.kind === 'fast' && !kept.has(s.traceId)).length).toBeGreaterThan(0);

    // Both samplers had a share of the traffic, and both payments took checkouts.
    for (let i = 1; i <= SAMPLERS; i++) expect(await samplerMetric(i, 'otelcol_processor_tail_sampling_new_trace_id_received')).toBeGreaterThan(0);
    // (Each payment logs the outcome of every charge it handled.)
    const handled = (name: 'payment' | 'payment-2') => (readFileSync(stack.processes[name]!.logFile, 'utf8').match(/: payment (approved|declined)/g) ?? []).length;
    expect({ payment: handled('payment') > 0, 'payment-2': handled('payment-2') > 0 }).toEqual({ payment: true, 'payment-2': true });
  }, 300_000);

  it('with split-traces on, the services bypass the router, a sampler each: failed checkouts reach Jaeger with holes; fixed, whole again', async () => {
    /** The services of a trace that put `flag` on a span (SamplingFlagEvents: on each entry span while the scenario or its fix is on). */
    const saw = (t: JaegerTrace, flag: string) => new Set(t.spans.filter((sp) => spanFlagEvents(sp).includes(flag)).map((sp) => serviceOf(t, sp)));
    /** Declined checkouts (payment's error keeps its part, whatever else happens) until one's trace in Jaeger satisfies `until`. */
    const probe = (until: (t: JaegerTrace) => boolean, what: string) =>
      waitFor(async () => getTrace(stack.jaegerUrl, (await checkout('declined')).traceId, { until, timeoutMs: 15_000 }), () => true, { timeoutMs: 90_000, what });

    setScenarios(stack.flagsFile, ['split-traces'], true);
    await probe((t) => saw(t, 'split-traces=on').size > 0, 'a checkout sent past the router');
    const before = await receivedCounts();
    const split = (await checkouts(MIX)).filter((c) => c.kind === 'declined');
    // The sampler that holds payment's error keeps its part of each failed checkout...
    for (const s of split) await getTrace(stack.jaegerUrl, s.traceId, { timeoutMs: 60_000 });
    await decided(before);
    // ...the other sees a short trace without an error and drops its part (but for the 10% it
    // keeps of those, by trace id): holes, e.g. no gateway, cart or payment.
    const traces = await Promise.all(split.map((s) => settled(s.traceId)));
    expect(traces.filter((t) => t && holes(t).length > 0).length).toBeGreaterThan(0);

    setFix(stack.flagsFile, 'split-traces', true);
    await probe((t) => holes(t).length === 0 && saw(t, 'fix.split-traces=on').size === SERVICES.length, 'a whole checkout, every service fixed');
    for (const s of await checkouts(MIX.filter((k) => k !== 'fast'))) {
      const t = await getTrace(stack.jaegerUrl, s.traceId, { until: (tr) => holes(tr).length === 0, timeoutMs: 60_000 }).catch(() => undefined);
      expect({ trace: s.traceId, kind: s.kind, whole: t !== undefined }).toEqual({ trace: s.traceId, kind: s.kind, whole: true });
    }
  }, 300_000);
});

describe('the split-traces lab, on this tier', () => {
  const progressDir = mkdtempSync(join(tmpdir(), 'traceshop-tier-lab-'));
  const progressFile = join(progressDir, 'progress.json');
  afterAll(() => rmSync(progressDir, { recursive: true, force: true }));

  /** `npm run lab -- <args>` against this file's stack (labs.e2e.ts runs the other labs against global-setup's). */
  const lab = (...args: string[]) =>
    runLab(
      {
        TRACESHOP_GATEWAY_URL: stack.gatewayUrl,
        TRACESHOP_JAEGER_URL: stack.jaegerUrl,
        TRACESHOP_FLAGS_FILE: stack.flagsFile,
        TRACESHOP_DATABASE_URL: stack.databaseUrl,
        TRACESHOP_LAB_AMQP_URL: stack.amqpUrl,
        TRACESHOP_REDIS_KEY_PREFIX: stack.redisKeyPrefix,
        TRACESHOP_COLLECTOR_URL: stack.collectorOtlpHttpUrl,
        TRACESHOP_COLLECTOR_METRICS_URL: stack.collectorMetricsUrl,
        TRACESHOP_LAB_PROGRESS: progressFile,
      },
      ...args,
    );

  it('start → check (right; wrong with a hint) → fix → verify → reset', async () => {
    const started = await lab('start', 'split-traces');
    expect({ code: started.code, tail: started.output.slice(-400) }).toEqual({ code: 0, tail: expect.stringContaining('npm run lab -- check split-traces') });

    // The right answer to "a span whose parent is missing", found the plain way: in the traces of
    // the checkouts k6 printed, a span whose parent is not in its trace, other than the gateway's
    // entry span (whose parent is k6's own, never sent).
    const run = JSON.parse(readFileSync(progressFile, 'utf8'))['split-traces'].run as { traceIds: string[] };
    const orphans: string[] = [];
    for (const id of run.traceIds) {
      const t = await settled(id);
      if (!t) continue;
      const ids = new Set(t.spans.map((s) => s.spanID));
      const entry = (sp: JaegerTrace['spans'][number]) => serviceOf(t, sp) === 'gateway' && sp.operationName === 'POST /api/checkout';
      orphans.push(...t.spans.filter((sp) => parentOf(sp) && !ids.has(parentOf(sp)!) && !entry(sp)).map((sp) => sp.spanID));
    }
    expect(orphans.length).toBeGreaterThan(0);

    const checked = await lab('check', 'split-traces', `orphan=${orphans[0]}`, 'missing=same-service', 'routing-key=trace-id');
    expect({ code: checked.code, output: checked.output }).toEqual({ code: 0, output: expect.stringContaining('All right.') });
    const refused = await lab('check', 'split-traces', 'routing-key=span-name');
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/✘ routing-key: span-name — .*whole trace/);

    expect((await lab('fix', 'split-traces')).code).toBe(0);
    const verified = await lab('verify', 'split-traces');
    expect({ code: verified.code, output: verified.output.split('\n').slice(-5).join('\n') }).toEqual({ code: 0, output: expect.stringContaining('✔ verified') });

    expect((await lab('reset', 'split-traces')).code).toBe(0);
    const flags = JSON.parse(readFileSync(stack.flagsFile, 'utf8')).flags;
    expect([flags['split-traces'].defaultVariant, flags['fix.split-traces'].defaultVariant]).toEqual(['off', 'off']);
  }, 600_000);
});
