import { findTraces, JaegerSpan, JaegerTrace, parentOf, roots, serviceOf, setScenarios, tag, waitFor } from '@traceshop/testing';
import { jaegerUrl } from './shop';
import { bothSaw, checkout, firstCheckoutWhere, flagEvents, flagsFile, inService, isConsumer, isError, providerServerSpan, queryText, withProvider } from './scenario-tools';

// Each fault scenario, switched on and off while the stack runs, read back from Jaeger.

const ms = (s: JaegerSpan) => s.duration / 1000;

/** The trace of a successful checkout, with the provider's spans in. */
async function checkoutTrace(): Promise<JaegerTrace> {
  const c = await checkout(withProvider);
  expect(c.status).toBe(201);
  return c.trace;
}

const pgSpans = (t: JaegerTrace) => t.spans.filter((s) => (tag(s, 'db.system.name') ?? tag(s, 'db.system')) === 'postgresql');
const fraudHistoryQuery = (t: JaegerTrace) => pgSpans(t).find((s) => queryText(s).includes('fraud_history'));

describe('scenario slow-checkout', () => {
  afterAll(() => setScenarios(flagsFile(), ['slow-checkout'], false));

  it('shows the reference incident: a slow provider and an unindexed query make payment most of the checkout', async () => {
    setScenarios(flagsFile(), ['slow-checkout'], true);
    // Each service polls the flag file on its own clock: wait until both have seen the switch.
    await firstCheckoutWhere((c) => bothSaw(c.trace, 'slow-checkout=on'), withProvider);

    // Every checkout from now on has the same shape.
    for (let i = 0; i < 2; i++) {
      const trace = await checkoutTrace();
      const [root] = roots(trace);
      const payment = trace.spans.find((s) => serviceOf(trace, s) === 'payment' && tag(s, 'span.kind') === 'consumer')!;
      expect(ms(payment) / ms(root)).toBeGreaterThanOrEqual(0.7);

      const query = fraudHistoryQuery(trace)!;
      expect(serviceOf(trace, query)).toBe('payment');
      // Named by its summary, operations and tables (`SELECT fraud_history`; `SELECT SELECT
      // fraud_history` when a subquery reads it, as the velocity rule's does), not `pg.query:…`.
      expect(query.operationName).toMatch(/^SELECT (SELECT )?fraud_history$/);
      expect(tag(query, 'db.query.summary')).toBe(query.operationName);
      expect(Math.max(...pgSpans(trace).map(ms))).toBe(ms(query)); // the slowest query of the trace
      expect(ms(providerServerSpan(trace)!)).toBeGreaterThanOrEqual(2_000); // PROVIDER_LATENCY_MS
      expect(flagEvents(trace)).toEqual(expect.arrayContaining(['payment:slow-checkout=on', 'payment-provider:slow-checkout=on']));
    }
  }, 180_000);

  it('leaves no trace of itself once switched off', async () => {
    setScenarios(flagsFile(), ['slow-checkout'], false);
    await firstCheckoutWhere((c) => bothSaw(c.trace, 'slow-checkout=off'), withProvider);
    const trace = await checkoutTrace();
    expect(fraudHistoryQuery(trace)).toBeUndefined();
    expect(ms(providerServerSpan(trace)!)).toBeLessThan(1_000);
    expect(flagEvents(trace)).toEqual(expect.arrayContaining(['payment:slow-checkout=off', 'payment-provider:slow-checkout=off']));
  }, 120_000);
});

describe('scenario broken-propagation', () => {
  afterAll(() => setScenarios(flagsFile(), ['broken-propagation'], false));

  it('splits each checkout in two traces: the payment work is orphaned', async () => {
    setScenarios(flagsFile(), ['broken-propagation'], true);
    const { trace, orderId, status } = await firstCheckoutWhere((c) => flagEvents(c.trace).includes('payment:broken-propagation=on'));
    expect(status).toBe(201); // the shop still works; only the trace is broken

    // The gateway's trace: payment's process span is there, with none of the payment's work
    // under it (only the reply, which the messaging lib still sends from the message's context).
    const process = trace.spans.find((s) => isConsumer(trace, s, 'payment'))!;
    const children = trace.spans.filter((s) => parentOf(s) === process.spanID);
    expect(children.map((s) => tag(s, 'span.kind'))).toEqual(['producer']);
    expect(inService(trace, 'payment').map((s) => s.operationName)).not.toContain('payment.fraud_check');

    // The orphan: its own trace, rooted at payment.process, holding the provider call.
    const [orphan] = await waitFor(
      () => findTraces(jaegerUrl(), { service: 'payment', operation: 'payment.process', tags: { 'traceshop.order.id': orderId }, lookback: '10m' }),
      (found) => found.length > 0 && inService(found[0], 'payment-provider').length > 0,
      { timeoutMs: 20_000, what: 'the orphaned payment trace' },
    );
    expect(orphan.traceID).not.toBe(trace.spans[0].traceID);
    expect(roots(orphan).map((s) => s.operationName)).toEqual(['payment.process']);
  }, 120_000);

  it('keeps each checkout in one trace once switched off', async () => {
    setScenarios(flagsFile(), ['broken-propagation'], false);
    await firstCheckoutWhere((c) => flagEvents(c.trace).includes('payment:broken-propagation=off'));
    const trace = await checkoutTrace();
    const process = trace.spans.find((s) => isConsumer(trace, s, 'payment'))!;
    expect(trace.spans.filter((s) => parentOf(s) === process.spanID).map((s) => s.operationName)).toContain('payment.fraud_check');
  }, 120_000);
});

describe('scenario payment-declines', () => {
  afterAll(() => setScenarios(flagsFile(), ['payment-declines'], false));

  it('declines at the provider: 402 at the gateway, error spans, the reservation released', async () => {
    setScenarios(flagsFile(), ['payment-declines'], true); // variant "on": every charge
    const { trace } = await firstCheckoutWhere((c) => c.status === 402, withProvider);
    const charge = trace.spans.find((s) => s.operationName === 'payment.charge')!;
    expect(isError(charge)).toBe(true);
    expect(inService(trace, 'payment').some((s) => tag(s, 'span.kind') === 'client' && isError(s))).toBe(true);
    expect(inService(trace, 'payment-provider').some(isError)).toBe(true);
    // compensation: inventory consumes order.declined (and releases the stock)
    const release = trace.spans.find((s) => isConsumer(trace, s, 'inventory'))!;
    expect(tag(release, 'messaging.rabbitmq.routing_key')).toBe('order.declined');
  }, 120_000);

  it('charges again once switched off', async () => {
    setScenarios(flagsFile(), ['payment-declines'], false);
    const { trace } = await firstCheckoutWhere((c) => c.status === 201, withProvider);
    expect(trace.spans.some((s) => s.operationName === 'payment.charge')).toBe(true);
    expect(trace.spans.filter(isError)).toEqual([]);
  }, 120_000);
});
