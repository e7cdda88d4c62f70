import type { JaegerTrace } from '@traceshop/testing';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Evidence, isQuery, queryText, rootOf, serviceOf } from './evidence';
import { labNamed } from './labs';
import { unknownSpan, type Lab } from './lab.types';
import { labContext } from './session';

// The graders on traces recorded from real runs (tools/trace/src/fixtures, described in its README).
const recorded = (name: string): JaegerTrace =>
  JSON.parse(readFileSync(join(__dirname, '../../trace/src/fixtures', `${name}.json`), 'utf8')).data[0];

const grade = (lab: Lab, id: string, answer: string, evidence: Evidence) => lab.questions.find((q) => q.id === id)!.grade(answer, evidence);

describe('slow-checkout, on a recorded slow checkout', () => {
  const lab = labNamed('slow-checkout');
  const slow = recorded('slow-checkout');
  const evidence = new Evidence([slow]);
  const fraudQuery = slow.spans.filter((s) => queryText(s)?.includes('fraud_history')).sort((a, b) => b.duration - a.duration)[0];
  const providerServer = slow.spans.find((s) => serviceOf(slow, s) === 'payment-provider')!;

  it('knows the service that owns the time from the trace, and refuses another', () => {
    expect(grade(lab, 'service', 'payment', evidence).ok).toBe(true);
    expect(grade(lab, 'service', ' Payment ', evidence).ok).toBe(true);
    expect(grade(lab, 'service', 'gateway', evidence)).toEqual({ ok: false, hint: expect.stringMatching(/nearly as long as the checkout/) });
  });

  it('takes the span id of the slowest payment query, and says why another span is wrong without naming the right one', () => {
    expect(grade(lab, 'span', fraudQuery.spanID, evidence).ok).toBe(true);
    expect(grade(lab, 'span', fraudQuery.spanID.toUpperCase(), evidence).ok).toBe(true);
    const provider = grade(lab, 'span', providerServer.spanID, evidence);
    expect(provider).toEqual({ ok: false, hint: expect.stringMatching(/not a database query/) });
    const fasterQuery = slow.spans.find((s) => isQuery(s) && serviceOf(slow, s) === 'payment' && s.spanID !== fraudQuery.spanID)!;
    expect(grade(lab, 'span', fasterQuery.spanID, evidence)).toEqual({ ok: false, hint: 'There is a slower query of the same service in that trace.' });
    const gatewayQuery = slow.spans.find((s) => isQuery(s) && serviceOf(slow, s) === 'gateway')!;
    expect(grade(lab, 'span', gatewayQuery.spanID, evidence).hint).toMatch(/gateway’s/);
    expect(grade(lab, 'span', '0123456789abcdef', evidence).hint).toMatch(/not in the traces of this run/);
    for (const q of lab.questions) expect(q.hint).not.toContain('fraud_history');
  });

  it('grades the cause as a choice and the provider share against a checkout’s measured share (±5 points)', () => {
    expect(grade(lab, 'cause', 'missing-index', evidence).ok).toBe(true);
    expect(grade(lab, 'cause', 'lock-wait', evidence).ok).toBe(false);
    const share = Math.round((100 * providerServer.duration) / rootOf(slow)!.duration);
    expect(grade(lab, 'provider-share', `${share}%`, evidence).ok).toBe(true);
    expect(grade(lab, 'provider-share', String(share + 4), evidence).ok).toBe(true);
    expect(grade(lab, 'provider-share', String(share - 25), evidence).ok).toBe(false);
    expect(grade(lab, 'provider-share', 'most', evidence).hint).toMatch(/number/);
  });

  it('does not verify while the unindexed query is a visible share of the checkout', () => {
    expect(lab.verify(evidence, false).ok).toBe(false);
    expect(lab.verify(new Evidence([recorded('normal-checkout')]), true).hint).toMatch(/No checkout of the verify run ran the fraud-history query/);
  });
});

describe('broken-propagation, on the two recorded halves of one checkout', () => {
  const lab = labNamed('broken-propagation');
  const checkout = recorded('broken-propagation-checkout');
  const payment = recorded('broken-propagation-payment');
  const evidence = new Evidence([checkout, payment]);
  const emptyConsumer = checkout.spans.find((s) => serviceOf(checkout, s) === 'payment' && s.operationName.includes('process'))!;

  it('takes the empty consumer span as where the trace stops, and the payment-rooted trace as where the work went', () => {
    expect(grade(lab, 'span', emptyConsumer.spanID, evidence).ok).toBe(true);
    expect(grade(lab, 'span', rootOf(checkout)!.spanID, evidence).ok).toBe(false);
    expect(grade(lab, 'trace', payment.traceID, evidence).ok).toBe(true);
    expect(grade(lab, 'trace', checkout.traceID, evidence).hint).toMatch(/starts in payment/);
    expect(grade(lab, 'cause', 'context-not-extracted', evidence).ok).toBe(true);
  });

  it('verifies a whole checkout and refuses the split one', () => {
    expect(lab.verify(evidence, true).ok).toBe(false);
    expect(lab.verify(new Evidence([recorded('normal-checkout')]), true).ok).toBe(true);
  });
});

describe('n-plus-one and poison-message, on recorded traces', () => {
  it('n-plus-one: counts the queries of the recorded miss, and does not verify it', () => {
    const lab = labNamed('n-plus-one');
    const products = recorded('n-plus-one-products');
    const evidence = new Evidence([products]);
    const queries = products.spans.filter((s) => isQuery(s) && serviceOf(products, s) === 'inventory').length;
    expect(queries).toBeGreaterThan(5);
    expect(grade(lab, 'queries', String(queries), evidence).ok).toBe(true);
    expect(grade(lab, 'queries', '1', evidence).ok).toBe(false);
    expect(lab.verify(evidence, true).ok).toBe(false);
  });

  it('poison-message: three failed deliveries, inventory processed the event, not verified while cart fails', () => {
    const lab = labNamed('poison-message');
    const evidence = new Evidence([recorded('poison-message-checkout')]);
    expect(grade(lab, 'attempts', '3', evidence).ok).toBe(true);
    expect(grade(lab, 'attempts', '5', evidence).ok).toBe(false);
    expect(grade(lab, 'inventory', 'yes', evidence).ok).toBe(true);
    expect(grade(lab, 'where', 'dead-letter-queue', evidence).ok).toBe(true);
    expect(lab.verify(evidence, true).ok).toBe(false);
    expect(lab.verify(new Evidence([recorded('normal-checkout')]), true).ok).toBe(true);
  });
});

/** A span of a synthetic trace: times in milliseconds from the trace's start. */
interface Sketch {
  id: string;
  parent?: string;
  service: string;
  op: string;
  start: number;
  ms: number;
  tags?: Record<string, string | number>;
}

/** A trace drawn by hand, for shapes no recorded fixture has (a queue, work after the answer). */
function sketch(traceID: string, spans: Sketch[]): JaegerTrace {
  const services = [...new Set(spans.map((s) => s.service))];
  return {
    traceID,
    processes: Object.fromEntries(services.map((service) => [`p-${service}`, { serviceName: service, tags: [] }])),
    spans: spans.map((s) => ({
      traceID,
      spanID: s.id,
      operationName: s.op,
      references: s.parent ? [{ refType: 'CHILD_OF', traceID, spanID: s.parent }] : [],
      startTime: 1_700_000_000_000_000 + s.start * 1000,
      duration: s.ms * 1000,
      tags: Object.entries(s.tags ?? {}).map(([key, value]) => ({ key, type: typeof value === 'number' ? 'int64' : 'string', value })),
      logs: [],
      processID: `p-${s.service}`,
    })),
  } as JaegerTrace;
}

/** Checkout `n` of a burst: its payment request waits `waitMs` between publish and process. */
const queuedCheckout = (n: number, waitMs: number, chargeMs = 200) =>
  sketch(`t${n}`, [
    { id: `r${n}`, service: 'gateway', op: 'POST /api/checkout', start: 0, ms: 11 + waitMs + chargeMs + 15, tags: { 'span.kind': 'server', 'http.response.status_code': 201 } },
    { id: `p${n}`, parent: `r${n}`, service: 'gateway', op: 'publish payment.requests', start: 10, ms: 1, tags: { 'span.kind': 'producer' } },
    { id: `c${n}`, parent: `p${n}`, service: 'payment', op: 'process payment.requests', start: 11 + waitMs, ms: chargeMs + 10, tags: { 'span.kind': 'consumer' } },
    { id: `s${n}`, parent: `c${n}`, service: 'payment-provider', op: 'POST /charges', start: 15 + waitMs, ms: chargeMs, tags: { 'span.kind': 'server' } },
  ]);

describe('backlog, on sketched bursts', () => {
  const lab = labNamed('backlog');
  // Six checkouts at once, taken one at a time, ~220 ms each: the last waited 1,100 ms.
  const queued = new Evidence([0, 1, 2, 3, 4, 5].map((n) => queuedCheckout(n, n * 220)));
  // The same burst taken side by side.
  const sideBySide = new Evidence([0, 1, 2, 3, 4, 5].map((n) => queuedCheckout(n, 2)));

  it('finds the time in the queue, measures the longest wait (±15 %), counts one payment at a time', () => {
    expect(grade(lab, 'where', 'queue', queued).ok).toBe(true);
    expect(grade(lab, 'where', 'payment-provider', queued)).toEqual({ ok: false, hint: expect.stringMatching(/publish/) });
    expect(grade(lab, 'waited', '1100', queued).ok).toBe(true);
    expect(grade(lab, 'waited', '1000 ms', queued).ok).toBe(true);
    expect(grade(lab, 'waited', '210', queued).ok).toBe(false);
    expect(grade(lab, 'waited', 'long', queued).hint).toMatch(/number/);
    expect(grade(lab, 'at-once', '1', queued).ok).toBe(true);
    expect(grade(lab, 'at-once', '6', queued).ok).toBe(false);
    expect(grade(lab, 'at-once', '6', sideBySide).ok).toBe(true);
  });

  it('verifies the burst taken side by side, with k6 green, and not the queued one', () => {
    expect(lab.verify(queued, true)).toEqual({ ok: false, hint: expect.stringMatching(/longest wait in payment.requests was 1100 ms, 1 payments at once/) });
    expect(lab.verify(sideBySide, false).ok).toBe(false);
    expect(lab.verify(sideBySide, true)).toEqual({ ok: true, hint: expect.stringMatching(/was 2 ms, 6 payments at once/) });
  });
});

describe('orphaned-work, on sketched checkouts', () => {
  const lab = labNamed('orphaned-work');
  // Answered 202 after a second; payment and the provider go on to ~2 s and charge.
  const orphaned = sketch('t1', [
    { id: 'r', service: 'gateway', op: 'POST /api/checkout', start: 0, ms: 1000, tags: { 'span.kind': 'server', 'http.response.status_code': 202 } },
    { id: 'p', parent: 'r', service: 'gateway', op: 'publish payment.requests', start: 10, ms: 1, tags: { 'span.kind': 'producer' } },
    { id: 'c', parent: 'p', service: 'payment', op: 'process payment.requests', start: 11, ms: 2040, tags: { 'span.kind': 'consumer' } },
    { id: 'ch', parent: 'c', service: 'payment', op: 'payment.charge', start: 20, ms: 2020, tags: { 'traceshop.payment.status': 'approved' } },
    { id: 's', parent: 'ch', service: 'payment-provider', op: 'POST /charges', start: 25, ms: 2005, tags: { 'span.kind': 'server' } },
  ]);
  const reconciled = sketch('t2', [{ id: 'x', service: 'gateway', op: 'checkout.reconcile', start: 7000, ms: 20, tags: { 'traceshop.checkout.state': 'paid' } }]);
  const evidence = new Evidence([orphaned, reconciled]);
  // The fix: refused at once, nothing charged, nothing after the answer.
  const refused = sketch('t3', [
    { id: 'r', service: 'gateway', op: 'POST /api/checkout', start: 0, ms: 60, tags: { 'span.kind': 'server', 'http.response.status_code': 502 } },
    { id: 'p', parent: 'r', service: 'gateway', op: 'publish payment.requests', start: 10, ms: 1, tags: { 'span.kind': 'producer' } },
    { id: 'c', parent: 'p', service: 'payment', op: 'process payment.requests', start: 11, ms: 20, tags: { 'span.kind': 'consumer', 'traceshop.payment.status': 'voided' } },
  ]);
  // Told it failed, yet charged (an answer given while the charge went through).
  const chargedAnyway = sketch('t4', [
    { id: 'r', service: 'gateway', op: 'POST /api/checkout', start: 0, ms: 300, tags: { 'span.kind': 'server', 'http.response.status_code': 502 } },
    { id: 'c', parent: 'r', service: 'payment', op: 'process payment.requests', start: 11, ms: 200, tags: { 'span.kind': 'consumer' } },
    { id: 'ch', parent: 'c', service: 'payment', op: 'payment.charge', start: 20, ms: 180, tags: { 'traceshop.payment.status': 'approved' } },
  ]);

  it('reads the status from the root, the charge’s end after the answer (±20 %), and the outcome from the reconciler', () => {
    expect(grade(lab, 'status', '202', evidence).ok).toBe(true);
    expect(grade(lab, 'status', '504', evidence).ok).toBe(false);
    expect(grade(lab, 'after', '1030', evidence).ok).toBe(true);
    expect(grade(lab, 'after', '1000ms', evidence).ok).toBe(true);
    expect(grade(lab, 'after', '2030', evidence).ok).toBe(false);
    expect(grade(lab, 'outcome', 'paid', evidence).ok).toBe(true);
    expect(grade(lab, 'outcome', 'failed', evidence)).toEqual({ ok: false, hint: expect.stringMatching(/reconciler/) });
  });

  it('verifies checkouts refused before any charge, and neither orphaned work nor a charge for a failed answer', () => {
    expect(lab.verify(evidence, false).hint).toMatch(/in 1 of 1 checkouts payment still works after the gateway answered/);
    expect(lab.verify(new Evidence([chargedAnyway]), false).hint).toMatch(/1 checkouts answered 502 were charged all the same/);
    expect(lab.verify(new Evidence([refused]), false)).toEqual({ ok: true, hint: expect.stringMatching(/1 of 1 checkouts were refused at once/) });
  });
});

describe('sampling-blind-spot, on what k6 saw against what Jaeger kept', () => {
  const lab = labNamed('sampling-blind-spot');
  const kept = recorded('normal-checkout');
  const id = (n: number) => n.toString(16).padStart(32, '0');
  const run = (answers: { traceId: string; status: number; ms: number }[]) => ({ startedMs: 0, endedMs: 0, traceIds: answers.map((a) => a.traceId), k6Code: 0, answers });
  // k6 saw 2 slow checkouts and 10 fast ones (one declined); Jaeger has one fast one.
  const fastOnes = [...Array(10).keys()].map((n) => ({ traceId: id(n + 1), status: n === 0 ? 402 : 201, ms: 200 }));
  const headSampled = new Evidence([kept], run([{ traceId: id(100), status: 201, ms: 1300 }, { traceId: id(101), status: 201, ms: 1350 }, ...fastOnes, { traceId: kept.traceID, status: 201, ms: 180 }]));

  it('counts the slow checkouts k6 saw and those Jaeger has, and takes head sampling as the cause', () => {
    expect(grade(lab, 'k6-slow', '2', headSampled).ok).toBe(true);
    expect(grade(lab, 'k6-slow', '11', headSampled).ok).toBe(false);
    expect(grade(lab, 'in-jaeger', '0', headSampled).ok).toBe(true);
    expect(grade(lab, 'in-jaeger', '1', headSampled).hint).toMatch(/every trace id/);
    expect(grade(lab, 'why', 'head-sampling', headSampled).ok).toBe(true);
    expect(grade(lab, 'why', 'tail-sampling', headSampled).hint).toMatch(/decided before/);
  });

  it('verifies when every slow checkout is kept and few fast paid ones, not while one is missing or everything is kept', () => {
    expect(lab.verify(headSampled, true).hint).toMatch(/0 of 2 slow checkouts and 1 of 10 fast paid ones in Jaeger: a slow one is still missing/);
    const tailSampled = new Evidence([kept], run([{ traceId: kept.traceID, status: 201, ms: 1300 }, ...fastOnes]));
    expect(lab.verify(tailSampled, true)).toEqual({ ok: true, hint: '1 of 1 slow checkouts and 0 of 9 fast paid ones in Jaeger.' });
    const keptAll = new Evidence([kept], run([{ traceId: kept.traceID, status: 201, ms: 1300 }, { traceId: kept.traceID, status: 201, ms: 200 }]));
    expect(lab.verify(keptAll, true).hint).toMatch(/keeping nearly everything/);
  });
});

describe('provider-unreachable, on sketched checkouts', () => {
  const lab = labNamed('provider-unreachable');
  /** A checkout whose payment.charge called the provider: it waited 5 s and the provider never answered (499). */
  const timedOut = (n: number) =>
    sketch(`u${n}`, [
      { id: `r${n}`, service: 'gateway', op: 'POST /api/checkout', start: 0, ms: 5120, tags: { 'span.kind': 'server', 'http.response.status_code': 202 } },
      { id: `c${n}`, parent: `r${n}`, service: 'payment', op: 'process payment.requests', start: 20, ms: 5080, tags: { 'span.kind': 'consumer' } },
      { id: `ch${n}`, parent: `c${n}`, service: 'payment', op: 'payment.charge', start: 30, ms: 5010, tags: { 'otel.status_code': 'ERROR' } },
      { id: `p${n}`, parent: `ch${n}`, service: 'payment', op: 'POST', start: 31, ms: 5003, tags: { 'span.kind': 'client', 'otel.status_code': 'ERROR' } },
      { id: `s${n}`, parent: `p${n}`, service: 'payment-provider', op: 'POST /charges', start: 33, ms: 5000, tags: { 'span.kind': 'server', 'http.response.status_code': 499 } },
    ]);
  /** The fix: refused by the open circuit, no call. */
  const refused = sketch('f1', [
    { id: 'r', service: 'gateway', op: 'POST /api/checkout', start: 0, ms: 160, tags: { 'span.kind': 'server', 'http.response.status_code': 502 } },
    { id: 'c', parent: 'r', service: 'payment', op: 'process payment.requests', start: 20, ms: 30, tags: { 'span.kind': 'consumer' } },
    { id: 'ch', parent: 'c', service: 'payment', op: 'payment.charge', start: 25, ms: 1, tags: { 'otel.status_code': 'ERROR', 'traceshop.circuit.state': 'open' } },
  ]);
  const outage = new Evidence([timedOut(1), timedOut(2), timedOut(3)]);

  it('reads the wait from payment’s call (±10 %), the provider’s silence from its 499, the 202 from the root', () => {
    expect(grade(lab, 'wait', '5', outage).ok).toBe(true);
    expect(grade(lab, 'wait', '5.1', outage).ok).toBe(true);
    expect(grade(lab, 'wait', '30', outage).hint).toMatch(/client span itself/);
    expect(grade(lab, 'provider-answered', 'nothing', outage).ok).toBe(true);
    expect(grade(lab, 'provider-answered', 'error', outage).hint).toMatch(/nginx/);
    expect(grade(lab, 'shopper-told', 'pending', outage).ok).toBe(true);
    expect(grade(lab, 'shopper-told', 'failed', outage).hint).toMatch(/root span/);
  });

  it('verifies charges refused by the open circuit without a call, with k6 green; not the outage itself, nor red k6', () => {
    expect(lab.verify(outage, true).hint).toMatch(/No charge was refused by an open circuit/);
    expect(lab.verify(new Evidence([timedOut(1), refused]), false).hint).toMatch(/still red/);
    expect(lab.verify(new Evidence([timedOut(1), refused]), true)).toEqual({ ok: true });
  });
});

describe('split-traces, on whole and holed traces', () => {
  const lab = labNamed('split-traces');
  const whole = recorded('normal-checkout');
  // A checkout whose payment spans were lost on the way: two spans whose parent is not in the trace.
  const holed = recorded('orphans-payment-spans-lost');
  const hole = holed.spans.find((s) => s.operationName === 'POST /charges' && serviceOf(holed, s) === 'payment-provider')!;
  // As k6 makes them: the gateway's entry span is a child of k6's client span, which k6 never exports.
  const fromK6 = sketch('a1', [
    { id: 'r', parent: 'k6-client', service: 'gateway', op: 'POST /api/checkout', start: 0, ms: 1300, tags: { 'span.kind': 'server' } },
    { id: 'p', parent: 'r', service: 'gateway', op: 'publish payment.requests', start: 10, ms: 1, tags: { 'span.kind': 'producer' } },
    { id: 'c', parent: 'p', service: 'payment', op: 'process payment.requests', start: 11, ms: 1250, tags: { 'span.kind': 'consumer' } },
  ]);
  const answers = [
    { traceId: whole.traceID, status: 402, ms: 180 },
    { traceId: fromK6.traceID, status: 201, ms: 1300 },
    { traceId: '7'.padStart(32, '0'), status: 201, ms: 150 }, // a fast one tail sampling dropped: not missed
  ];
  const run = (traces: JaegerTrace[], seen = answers) => new Evidence(traces, { startedMs: 0, endedMs: 0, traceIds: seen.map((a) => a.traceId), k6Code: 0, answers: seen });

  it('takes a span whose parent is missing from its trace, not the root (nor the gateway’s, whose parent is k6’s), nor one whose parent is there', () => {
    const evidence = run([holed, fromK6]);
    expect(grade(lab, 'orphan', hole.spanID, evidence).ok).toBe(true);
    expect(grade(lab, 'orphan', ` ${hole.spanID.toUpperCase()} `, evidence).ok).toBe(true);
    expect(grade(lab, 'orphan', rootOf(holed)!.spanID, evidence).hint).toMatch(/where its trace begins/);
    expect(grade(lab, 'orphan', 'r', evidence).hint).toMatch(/where its trace begins/);
    expect(grade(lab, 'orphan', 'c', evidence).hint).toMatch(/parent is in the trace/);
    expect(grade(lab, 'orphan', '0123456789abcdef', evidence)).toBe(unknownSpan);
  });

  it('takes the same service as what the missing spans share, and the trace id as the routing key', () => {
    const evidence = run([holed]);
    expect(grade(lab, 'missing', 'same-service', evidence).ok).toBe(true);
    expect(grade(lab, 'missing', 'same-operation', evidence).hint).toMatch(/the ones it lacks/);
    expect(grade(lab, 'routing-key', ' Trace-ID ', evidence).ok).toBe(true);
    expect(grade(lab, 'routing-key', 'span-name', evidence).hint).toMatch(/same on every span of a trace/);
    for (const q of lab.questions) expect(q.hint).not.toMatch(/same-service|trace-id|trace id/);
  });

  it('verifies when every trace in Jaeger is whole and every slow or failed checkout is among them', () => {
    expect(lab.verify(run([whole, fromK6]), true)).toEqual({ ok: true, hint: '2 traces in Jaeger, every one whole; all 2 slow or failed checkouts among them.' });
    expect(lab.verify(run([whole, fromK6, holed]), true).hint).toBe(`1 of 3 traces in Jaeger have holes (e.g. ${holed.traceID}: 2 spans whose parent is missing).`);
    expect(lab.verify(run([fromK6]), true).hint).toBe(`1 of 2 slow or failed checkouts k6 saw are not in Jaeger (e.g. ${whole.traceID}).`);
    expect(lab.verify(run([whole], []), true).hint).toMatch(/no checkout/);
  });

  it('refuses to start unless the Collector is a router with a load_balancing exporter', async () => {
    const metrics = (lines: string) =>
      new Promise<Server>((resolve) => {
        const server = createServer((req, res) => res.end(req.url === '/metrics' ? lines : '{}')).listen(0, '127.0.0.1', () => resolve(server));
      });
    const ctxOf = (server: Server) => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { ...labContext({}), collectorUrl: url, collectorMetricsUrl: `${url}/metrics` };
    };
    const router = await metrics('otelcol_exporter_sent_spans_total{exporter="load_balancing",service_name="otelcol-contrib"} 1\n');
    const single = await metrics('otelcol_exporter_sent_spans_total{exporter="otlp/jaeger"} 1\n');
    try {
      await expect(lab.prepare!(ctxOf(router))).resolves.toBeUndefined();
      await expect(lab.prepare!(ctxOf(single))).rejects.toThrow(/start the shop with TRACESHOP_SAMPLERS=2 npm start/);
      await expect(lab.prepare!({ ...ctxOf(single), collectorUrl: 'http://127.0.0.1:9' })).rejects.toThrow(/TRACESHOP_SAMPLERS=2 npm start/);
    } finally {
      router.close();
      single.close();
    }
  });
});

describe('every lab', () => {
  it('has questions with ids, hints, and a fix that says what it changes', async () => {
    const { LABS } = await import('./labs');
    expect(LABS.map((l) => l.name)).toEqual([
      'slow-checkout',
      'broken-propagation',
      'payment-declines',
      'retry-storm',
      'n-plus-one',
      'cache-stampede',
      'lock-contention',
      'poison-message',
      'backlog',
      'orphaned-work',
      'sampling-blind-spot',
      'provider-unreachable',
      'split-traces',
    ]);
    for (const lab of LABS) {
      expect(lab.questions.length).toBeGreaterThanOrEqual(2);
      for (const q of lab.questions) expect(q.hint.length).toBeGreaterThan(20);
      expect(lab.fix.does.length).toBeGreaterThan(20);
    }
  });
});
