import { getTrace, JaegerSpan, JaegerTrace, parentOf, roots, serviceOf, setScenarios, tag } from '@traceshop/testing';
import { APPROVED_CARD, jaegerUrl, newCustomer } from './shop';

// Each fault scenario, switched on and off while the stack runs, read back from Jaeger.
const flagsFile = () => process.env.TRACESHOP_FLAGS_FILE!;

const ms = (s: JaegerSpan) => s.duration / 1000;
const isComplete = (t: JaegerTrace) => {
  const ids = new Set(t.spans.map((s) => s.spanID));
  return roots(t).length === 1 && t.spans.every((s) => !parentOf(s) || ids.has(parentOf(s)!));
};

/** One checkout by a new customer; resolves with its complete trace. */
async function checkoutTrace(): Promise<JaegerTrace> {
  const { api } = await newCustomer();
  const products = (await api.get('/api/products')).body as { sku: string }[];
  await api.put(`/api/cart/items/${products.find((p) => !p.sku.includes('LIMITED'))!.sku}`, { quantity: 1 });
  const res = await api.post('/api/checkout', { payment: APPROVED_CARD });
  expect(res.status).toBe(201);
  return getTrace(jaegerUrl(), res.headers.get('x-trace-id')!, {
    until: (t) => isComplete(t) && t.spans.some((s) => serviceOf(t, s) === 'payment-provider'),
    timeoutMs: 30_000,
  });
}

/** Checkouts until one shows `signature` (the services poll the flag file every few seconds). */
async function firstCheckoutWhere(signature: (t: JaegerTrace) => boolean, timeoutMs = 40_000): Promise<JaegerTrace> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const trace = await checkoutTrace();
    if (signature(trace)) return trace;
    if (Date.now() > deadline) throw new Error('the scenario switch never took effect');
  }
}

/** The `feature_flag.evaluation` events of a trace, as `key=variant`. */
const flagEvents = (t: JaegerTrace) =>
  t.spans.flatMap((s) =>
    s.logs
      .filter((l) => l.fields.some((f) => f.key === 'event' && f.value === 'feature_flag.evaluation'))
      .map((l) => {
        const field = (k: string) => l.fields.find((f) => f.key === k)?.value;
        return `${serviceOf(t, s)}:${field('feature_flag.key')}=${field('feature_flag.result.variant')}`;
      }),
  );

const pgSpans = (t: JaegerTrace) => t.spans.filter((s) => (tag(s, 'db.system.name') ?? tag(s, 'db.system')) === 'postgresql');
const queryText = (s: JaegerSpan) => String(tag(s, 'db.query.text') ?? tag(s, 'db.statement') ?? '');
const fraudHistoryQuery = (t: JaegerTrace) => pgSpans(t).find((s) => queryText(s).includes('fraud_history'));
const providerServerSpan = (t: JaegerTrace) =>
  t.spans.find((s) => serviceOf(t, s) === 'payment-provider' && tag(s, 'span.kind') === 'server');

describe('scenario slow-checkout', () => {
  afterAll(() => setScenarios(flagsFile(), ['slow-checkout'], false));

  it('shows the reference incident: a slow provider and an unindexed query make payment most of the checkout', async () => {
    setScenarios(flagsFile(), ['slow-checkout'], true);
    await firstCheckoutWhere((t) => fraudHistoryQuery(t) !== undefined);

    // Every checkout from now on has the same shape.
    for (let i = 0; i < 2; i++) {
      const trace = await checkoutTrace();
      const [root] = roots(trace);
      const payment = trace.spans.find((s) => serviceOf(trace, s) === 'payment' && tag(s, 'span.kind') === 'consumer')!;
      expect(ms(payment) / ms(root)).toBeGreaterThanOrEqual(0.7);

      const query = fraudHistoryQuery(trace)!;
      expect(serviceOf(trace, query)).toBe('payment');
      expect(Math.max(...pgSpans(trace).map(ms))).toBe(ms(query)); // the slowest query of the trace
      expect(ms(providerServerSpan(trace)!)).toBeGreaterThanOrEqual(1_900);
      expect(flagEvents(trace)).toEqual(expect.arrayContaining(['payment:slow-checkout=on', 'payment-provider:slow-checkout=on']));
    }
  }, 180_000);

  it('leaves no trace of itself once switched off', async () => {
    setScenarios(flagsFile(), ['slow-checkout'], false);
    await firstCheckoutWhere((t) => fraudHistoryQuery(t) === undefined);
    const trace = await checkoutTrace();
    expect(fraudHistoryQuery(trace)).toBeUndefined();
    expect(ms(providerServerSpan(trace)!)).toBeLessThan(1_000);
    expect(flagEvents(trace)).toEqual(expect.arrayContaining(['payment:slow-checkout=off', 'payment-provider:slow-checkout=off']));
  }, 120_000);
});
