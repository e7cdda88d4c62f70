import { getTrace, JaegerSpan, JaegerTrace, JsonClient, parentOf, roots, serviceOf, tag, waitFor } from '@traceshop/testing';
import { APPROVED_CARD, jaegerUrl, newCustomer } from './shop';

// What the scenario tests share: reading traces, and checkouts that wait for positive evidence.

/** The flag file the stack under test reads (set by global-setup). */
export const flagsFile = () => process.env.TRACESHOP_FLAGS_FILE!;

/** One root, and every span's parent present: nothing of the trace is still on its way. */
export const isComplete = (t: JaegerTrace) => {
  const ids = new Set(t.spans.map((s) => s.spanID));
  return roots(t).length === 1 && t.spans.every((s) => !parentOf(s) || ids.has(parentOf(s)!));
};
export const inService = (t: JaegerTrace, service: string) => t.spans.filter((s) => serviceOf(t, s) === service);
/** The payment provider's spans have arrived. */
export const withProvider = (t: JaegerTrace) => inService(t, 'payment-provider').length > 0;
/** The provider's HTTP server span: how long the charge took there. */
export const providerServerSpan = (t: JaegerTrace) => t.spans.find((s) => serviceOf(t, s) === 'payment-provider' && tag(s, 'span.kind') === 'server');
export const isConsumer = (t: JaegerTrace, s: JaegerSpan, service: string) => serviceOf(t, s) === service && tag(s, 'span.kind') === 'consumer';
export const consumerSpans = (t: JaegerTrace, service: string) => t.spans.filter((s) => isConsumer(t, s, service));
/** Both order-event consumers have reported: the checkout's trace is whole. */
export const hasOrderEvents = (t: JaegerTrace) => ['cart', 'inventory'].every((svc) => consumerSpans(t, svc).length > 0);
export const isError = (s: JaegerSpan) => tag(s, 'otel.status_code') === 'ERROR' || tag(s, 'error') === true;
export const hasException = (s: JaegerSpan) => s.logs.some((l) => l.fields.some((f) => f.key === 'event' && f.value === 'exception'));
export const dbSystem = (s: JaegerSpan) => tag(s, 'db.system.name') ?? tag(s, 'db.system');
export const queryText = (s: JaegerSpan) => String(tag(s, 'db.query.text') ?? tag(s, 'db.statement') ?? '');

/** The span's events named `name` (Jaeger's logs), each as its fields. */
export const eventsOf = (s: JaegerSpan, name: string) =>
  s.logs.filter((l) => l.fields.some((f) => f.key === 'event' && f.value === name)).map((l) => Object.fromEntries(l.fields.map((f) => [f.key, f.value])));

/** The `feature_flag.evaluation` events of one span, as `key=variant`. */
export const spanFlagEvents = (s: JaegerSpan) =>
  s.logs
    .filter((l) => l.fields.some((f) => f.key === 'event' && f.value === 'feature_flag.evaluation'))
    .map((l) => {
      const field = (k: string) => l.fields.find((f) => f.key === k)?.value;
      return `${field('feature_flag.key')}=${field('feature_flag.result.variant')}`;
    });

/** The `feature_flag.evaluation` events of a trace, as `service:key=variant`. */
export const flagEvents = (t: JaegerTrace) => t.spans.flatMap((s) => spanFlagEvents(s).map((e) => `${serviceOf(t, s)}:${e}`));

/** Both payment and payment-provider evaluated the flag to this variant in this trace. */
export const bothSaw = (t: JaegerTrace, flag: string) => ['payment', 'payment-provider'].every((svc) => flagEvents(t).includes(`${svc}:${flag}`));

export interface Checkout {
  status: number;
  orderId: string;
  /** The error's message, when the checkout was refused. */
  message?: string;
  trace: JaegerTrace;
  /** The customer's session, e.g. to read the order afterwards. */
  api: JsonClient;
}

/**
 * One checkout by a new customer; resolves with its answer and its trace once whole: one root,
 * every parent present, payment's and both order consumers' spans in (and `also`, if given).
 * A 202 (the payment outcome is not known yet, e.g. while a scenario is half switched: payment
 * sees it off, the provider still on) publishes no order event in this trace: the reconciler
 * settles it later, in a trace of its own.
 */
export async function checkout(also: (t: JaegerTrace) => boolean = () => true): Promise<Checkout> {
  return (await readyToPay())(also);
}

/** A new customer with an item in the cart; the function it resolves with pays, as `checkout` does. */
async function readyToPay(): Promise<(also?: (t: JaegerTrace) => boolean) => Promise<Checkout>> {
  const { api } = await newCustomer();
  const products = (await api.get('/api/products')).body as { sku: string }[];
  await api.put(`/api/cart/items/${products.find((p) => !p.sku.includes('LIMITED'))!.sku}`, { quantity: 1 });
  return async (also = () => true) => {
    const res = await api.post('/api/checkout', { payment: APPROVED_CARD });
    const whole = (t: JaegerTrace) => isComplete(t) && (res.status === 202 || hasOrderEvents(t)) && consumerSpans(t, 'payment').length > 0 && also(t);
    const trace = await getTrace(jaegerUrl(), res.headers.get('x-trace-id')!, { until: whole, timeoutMs: 30_000 });
    return { status: res.status, orderId: res.body.orderId, message: res.body.message, trace, api };
  };
}

/**
 * `n` checkouts paid at the same moment, by `n` new customers whose carts were filled first: a
 * burst, like the k6 incident scripts' (`waitForBurst`). Each as `checkout` resolves it.
 */
export async function checkoutBurst(n: number, also?: (t: JaegerTrace) => boolean): Promise<Checkout[]> {
  const ready = await Promise.all(Array.from({ length: n }, () => readyToPay()));
  return Promise.all(ready.map((pay) => pay(also)));
}

/**
 * Checkouts until one shows `signature` (the services poll the flag file every few seconds).
 * Signatures are positive evidence, such as the flag's evaluation event, never a missing span.
 */
export function firstCheckoutWhere(signature: (c: Checkout) => boolean, also?: (t: JaegerTrace) => boolean): Promise<Checkout> {
  // One checkout after another, without a pause: each one takes its time already.
  return waitFor(() => checkout(also), signature, { timeoutMs: 40_000, intervalMs: 0, what: 'a checkout showing the scenario switch' });
}
