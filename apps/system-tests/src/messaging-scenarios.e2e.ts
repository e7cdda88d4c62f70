import { CART_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED } from '@traceshop/contracts';
import { getTrace, JaegerSpan, JaegerTrace, parentOf, queueDepth, serviceOf, setScenarios, tag, waitFor } from '@traceshop/testing';
import { jaegerUrl } from './shop';
import { bothSaw, checkout, Checkout, consumerSpans, firstCheckoutWhere, flagEvents, flagsFile, hasException, isComplete, isError } from './scenario-tools';

// The scenarios that break the conversations between services, retry-storm (HTTP to the
// provider) and poison-message (RabbitMQ to cart): switched on and off while the stack runs,
// read back from Jaeger (and, for the dead letters, from RabbitMQ).

// ------------------------------------------------------------------------------- retry-storm

/** Payment's calls to the provider: the undici `POST` client spans under `payment.charge`. */
function providerCalls(t: JaegerTrace) {
  const charge = t.spans.find((s) => s.operationName === 'payment.charge');
  const calls = t.spans.filter((s) => charge && parentOf(s) === charge.spanID && tag(s, 'span.kind') === 'client');
  const served = t.spans.filter((s) => serviceOf(t, s) === 'payment-provider' && tag(s, 'span.kind') === 'server');
  return { charge, calls, served };
}
/** Every provider call of the trace has its server span in: the storm is all there. */
const withEveryProviderCall = (t: JaegerTrace) => {
  const { calls, served } = providerCalls(t);
  return calls.length > 0 && calls.every((c) => served.some((s) => parentOf(s) === c.spanID));
};
const statusOf = (s: JaegerSpan) => Number(tag(s, 'http.response.status_code') ?? tag(s, 'http.status_code'));

describe('scenario retry-storm', () => {
  afterAll(() => setScenarios(flagsFile(), ['retry-storm'], false));

  it('multiplies the calls to a failing provider: sibling POST spans, most of them errors, one charge', async () => {
    setScenarios(flagsFile(), ['retry-storm'], true);
    const first = await firstCheckoutWhere((c) => bothSaw(c.trace, 'retry-storm=on'), withEveryProviderCall);

    // Every checkout from now on has the same shape.
    for (const { trace, status } of [first, await checkout(withEveryProviderCall)]) {
      expect(status).toBe(201); // the last try gets through
      const { charge, calls, served } = providerCalls(trace);
      expect(flagEvents(trace)).toEqual(expect.arrayContaining(['payment:retry-storm=on', 'payment-provider:retry-storm=on']));
      expect(calls.map((c) => c.operationName)).toEqual(calls.map(() => 'POST'));
      expect(calls.length).toBeGreaterThanOrEqual(3);
      expect(calls.filter(isError).length).toBeGreaterThan(calls.length / 2);
      // The load on the provider, multiplied: one server span per call, all under this charge.
      expect(served.length).toBe(calls.length);
      expect(served.filter((s) => statusOf(s) === 503).length).toBe(calls.length - 1);
      // Idempotency holds: one successful charge, one charge id, and the payment approved.
      expect(served.filter((s) => statusOf(s) === 201)).toHaveLength(1);
      expect(new Set(trace.spans.map((s) => tag(s, 'traceshop.charge.id')).filter(Boolean)).size).toBe(1);
      expect(tag(charge!, 'traceshop.payment.status')).toBe('approved');
    }
  }, 180_000);

  it('calls the provider once per checkout once switched off', async () => {
    setScenarios(flagsFile(), ['retry-storm'], false);
    const { trace, status } = await firstCheckoutWhere((c) => bothSaw(c.trace, 'retry-storm=off'), withEveryProviderCall);
    expect(status).toBe(201);
    const { calls, served } = providerCalls(trace);
    expect(calls).toHaveLength(1);
    expect(served).toHaveLength(1);
    expect(statusOf(served[0])).toBe(201);
    expect(trace.spans.filter(isError)).toEqual([]);
  }, 120_000);
});

// ----------------------------------------------------------------------------- poison-message

const CART_DLQ = `${CART_ORDER_EVENTS_QUEUE}.dlq`;
/** How often the messaging lib tries a failing message again (libs/messaging's MAX_RETRIES). */
const RETRIES = 2;

/**
 * The stack's RabbitMQ (with its vhost), from the `messaging.url` the amqplib instrumentation puts
 * on a span, its password masked; the credentials are those the stack was given (or RabbitMQ's).
 */
function amqpUrlOf(span: JaegerSpan): string {
  const url = new URL(String(tag(span, 'messaging.url')));
  const credentials = new URL(process.env.TRACESHOP_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672');
  url.username = credentials.username;
  url.password = credentials.password;
  return url.toString();
}

const cartSaw = (t: JaegerTrace, variant: string) => flagEvents(t).includes(`cart:poison-message=${variant}`);
const routingKeyOf = (s: JaegerSpan) => tag(s, 'messaging.rabbitmq.routing_key');

describe('scenario poison-message', () => {
  let amqpUrl: string;

  beforeAll(async () => {
    const { trace } = await checkout();
    amqpUrl = amqpUrlOf(consumerSpans(trace, 'cart')[0]);
  }, 60_000);

  afterAll(() => setScenarios(flagsFile(), ['poison-message'], false));

  /** A checkout whose order event cart cannot process: 1 + RETRIES failed tries, then the DLQ. */
  async function expectPoisoned(c: Checkout, dlqDepth: number) {
    expect(c.status).toBe(201); // the shop answers as usual; the damage is downstream
    // Nothing lost: the event waits in the dead-letter queue, one more per poisoned checkout.
    await waitFor(() => queueDepth(amqpUrl, CART_DLQ), (n) => n === dlqDepth, { timeoutMs: 20_000, what: `${CART_DLQ} at ${dlqDepth}` });
    // The message reached the DLQ after its last try, so every try's span has ended: wait for them.
    const trace = await getTrace(jaegerUrl(), c.trace.traceID, { until: (t) => consumerSpans(t, 'cart').length >= 1 + RETRIES && isComplete(t) });
    const tries = consumerSpans(trace, 'cart').sort((a, b) => a.startTime - b.startTime);
    // One name for every try (the retries come back through the default exchange): the queue's.
    expect(tries.map((s) => s.operationName)).toEqual(Array(1 + RETRIES).fill(`process ${CART_ORDER_EVENTS_QUEUE}`));
    expect(tries.map((s) => tag(s, 'traceshop.messaging.retry_count'))).toEqual([0, 1, 2]);
    expect(tries.every(isError)).toBe(true);
    expect(tries.every(hasException)).toBe(true);
    expect(tries.every((s) => tag(s, 'traceshop.order.id') === c.orderId)).toBe(true);
    expect(routingKeyOf(tries[0])).toBe(ORDER_CONFIRMED);
    // Each retry is published from inside the failed try, so it stays in the checkout's trace.
    for (const [n, retry] of tries.slice(1).entries()) {
      const republish = trace.spans.find((s) => s.spanID === parentOf(retry))!;
      expect(tag(republish, 'span.kind')).toBe('producer');
      expect(parentOf(republish)).toBe(tries[n].spanID);
    }
    // Inventory processes its own copy of the event as usual.
    const inventory = consumerSpans(trace, 'inventory');
    expect(inventory.map(routingKeyOf)).toEqual([ORDER_CONFIRMED]);
    expect(inventory.filter(isError)).toEqual([]);
  }

  it('retries an event cart cannot process, then leaves it in the dead-letter queue', async () => {
    const before = await queueDepth(amqpUrl, CART_DLQ);
    setScenarios(flagsFile(), ['poison-message'], true);
    const first = await firstCheckoutWhere((c) => cartSaw(c.trace, 'on'));

    await expectPoisoned(first, before + 1);
    // Every confirmed order from now on has the same fate.
    await expectPoisoned(await checkout(), before + 2);
  }, 180_000);

  it('processes each event once, without retries or dead letters, once switched off', async () => {
    setScenarios(flagsFile(), ['poison-message'], false);
    await firstCheckoutWhere((c) => cartSaw(c.trace, 'off'));
    // Read once cart follows the switch (the tries of earlier poisoned events are long over).
    const before = await queueDepth(amqpUrl, CART_DLQ);
    const { trace, status } = await checkout();
    expect(status).toBe(201);
    expect(cartSaw(trace, 'off')).toBe(true);
    // The one try was acked (its span ended and is in Jaeger): this event cannot be dead-lettered now.
    const tries = consumerSpans(trace, 'cart');
    expect(tries).toHaveLength(1);
    expect(tries.filter(isError)).toEqual([]);
    expect(tag(tries[0], 'traceshop.messaging.retry_count')).toBe(0);
    expect(await queueDepth(amqpUrl, CART_DLQ)).toBe(before);
  }, 120_000);
});
      expect(republish.operationName).toBe(`publish ${CART_ORDER_EVENTS_QUEUE}`); // not `publish <default>`
