import { getTrace, JaegerSpan, JaegerTrace, jsonClient, parentOf, roots, serviceOf, tag, waitFor } from '@traceshop/testing';
import { PAYMENT_REQUESTS_QUEUE } from '@traceshop/contracts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPROVED_CARD, DECLINED_CARD, jaegerUrl, newCustomer } from './shop';

const SERVICES = ['gateway', 'auth', 'cart', 'inventory', 'payment', 'payment-provider'];

const kind = (s: JaegerSpan) => tag(s, 'span.kind');
const destination = (s: JaegerSpan) => tag(s, 'messaging.destination.name') ?? tag(s, 'messaging.destination');
const isRabbit = (s: JaegerSpan) => tag(s, 'messaging.system') === 'rabbitmq';
const dbSystem = (s: JaegerSpan) => tag(s, 'db.system.name') ?? tag(s, 'db.system');
const scopeOf = (s: JaegerSpan) => tag(s, 'otel.scope.name') ?? tag(s, 'otel.library.name');
/** `service name` of each span, e.g. `payment process payment.requests`. */
const named = (t: JaegerTrace, spans: JaegerSpan[]) => spans.map((s) => `${serviceOf(t, s)} ${s.operationName}`);

/**
 * A checkout's trace is complete when both order-event consumers have reported and every span's
 * parent has arrived (services export in batches, so spans reach Jaeger in any order).
 */
const isComplete = (t: JaegerTrace) => {
  const ids = new Set(t.spans.map((s) => s.spanID));
  return (
    t.spans.every((s) => !parentOf(s) || ids.has(parentOf(s)!)) &&
    ['cart', 'inventory'].every((svc) => t.spans.some((s) => serviceOf(t, s) === svc && isRabbit(s) && kind(s) === 'consumer'))
  );
};

async function fillCart(api: ReturnType<typeof jsonClient>) {
  const products = (await api.get('/api/products')).body as { sku: string; available: number }[];
  const [a, b] = products.filter((p) => !p.sku.includes('LIMITED') && p.available > 10);
  expect((await api.put(`/api/cart/items/${a.sku}`, { quantity: 2 })).status).toBe(200);
  const cart = await api.put(`/api/cart/items/${b.sku}`, { quantity: 1 });
  expect(cart.status).toBe(200);
  return cart.body as { items: unknown[]; totalCents: number };
}

describe('a checkout, as one trace in Jaeger', () => {
  let customer: Awaited<ReturnType<typeof newCustomer>>;
  let traceId: string;
  let trace: JaegerTrace;
  let orderId: string;
  let totalCents: number;

  beforeAll(async () => {
    customer = await newCustomer();
    totalCents = (await fillCart(customer.api)).totalCents;
    const res = await customer.api.post('/api/checkout', { payment: APPROVED_CARD }, { 'idempotency-key': 'first-try' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ orderId: expect.any(String), status: 'paid', totalCents });
    orderId = res.body.orderId;
    traceId = res.headers.get('x-trace-id')!;
    expect(res.headers.get('traceresponse')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
    trace = await getTrace(jaegerUrl(), traceId, {
      until: (t) => SERVICES.every((svc) => t.spans.some((s) => serviceOf(t, s) === svc)) && isComplete(t),
      timeoutMs: 30_000,
    });
  });

  it('has spans from all six services under exactly one root', () => {
    const services = new Set(trace.spans.map((s) => serviceOf(trace, s)));
    expect([...services].sort()).toEqual([...SERVICES].sort());
    const [root, ...others] = roots(trace);
    expect(others).toEqual([]);
    expect(serviceOf(trace, root)).toBe('gateway');
    expect(root.operationName).toMatch(/POST/);
  });

  it('has every parent inside the trace', () => {
    const ids = new Set(trace.spans.map((s) => s.spanID));
    for (const span of trace.spans) {
      const parent = parentOf(span);
      if (parent) expect(ids).toContain(parent);
    }
  });

  it('names its root after the route, and makes one span per handled request (no Nest spans under the server span)', () => {
    const [root] = roots(trace);
    expect(root.operationName).toBe('POST /api/checkout');
    expect(tag(root, 'http.route')).toBe('/api/checkout');
    expect(trace.spans.filter((s) => scopeOf(s) === '@opentelemetry/instrumentation-nestjs-core').map((s) => s.operationName)).toEqual([]);
    // Every request a service handled is its server span, named after its route.
    const servers = trace.spans.filter((s) => kind(s) === 'server');
    expect(named(trace, servers).sort()).toEqual(
      ['gateway POST /api/checkout', 'auth POST /introspect', 'cart GET /carts/:userId', 'inventory POST /reservations', 'payment-provider POST /charges'].sort(),
    );
    for (const server of servers) expect(server.operationName).toBe(`${tag(server, 'http.request.method')} ${tag(server, 'http.route')}`);
  });

  it('names database spans as the conventions do: operation and table, with db.query.text and db.namespace', () => {
    const pg = trace.spans.filter((s) => dbSystem(s) === 'postgresql' && kind(s) === 'client' && tag(s, 'db.query.text') !== undefined);
    expect(named(trace, pg)).toEqual(
      expect.arrayContaining([
        'gateway INSERT checkouts',
        'gateway UPDATE checkouts',
        'gateway INSERT outbox',
        'inventory INSERT reservations',
        'inventory SELECT stock',
        'inventory INSERT reservation_items SELECT',
        'payment INSERT payments',
        'payment UPDATE payments',
        'cart INSERT orders',
        'gateway BEGIN',
        'gateway COMMIT',
      ]),
    );
    for (const span of pg) {
      expect(span.operationName).not.toMatch(/^pg\.query/);
      expect(tag(span, 'db.query.summary')).toBe(span.operationName);
      expect(tag(span, 'db.namespace')).toEqual(expect.any(String));
    }
  });

  it('names messaging spans publish/process and where to, never <default>', () => {
    const rabbit = trace.spans.filter((s) => isRabbit(s) && ['producer', 'consumer'].includes(String(kind(s))));
    expect(named(trace, rabbit).sort()).toEqual(
      [
        `gateway publish ${PAYMENT_REQUESTS_QUEUE}`,
        `payment process ${PAYMENT_REQUESTS_QUEUE}`,
        'payment publish amq.rabbitmq.reply-to',
        'gateway process amq.rabbitmq.reply-to',
        'gateway publish orders:order.confirmed',
        'cart process cart.order-events',
        'inventory process inventory.order-events',
      ].sort(),
    );
    expect(trace.spans.filter((s) => s.operationName.includes('<default>'))).toEqual([]);
  });

  it('says whom each HTTP client span calls: peer.service, the service whose server span is its child', () => {
    const clients = trace.spans.filter((s) => kind(s) === 'client' && tag(s, 'http.request.method') !== undefined);
    expect(clients.map((c) => `${serviceOf(trace, c)} → ${tag(c, 'peer.service')}`).sort()).toEqual(
      ['gateway → auth', 'gateway → cart', 'gateway → inventory', 'payment → payment-provider'].sort(),
    );
    for (const client of clients) {
      const server = trace.spans.find((s) => parentOf(s) === client.spanID)!;
      expect(serviceOf(trace, server)).toBe(tag(client, 'peer.service'));
      expect(tag(client, 'server.address')).toEqual(expect.any(String));
    }
  });

  it('describes each service on every span: namespace, version, its own instance id, the environment; no command line', () => {
    const version = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')).version;
    const processes: Record<string, unknown>[] = Object.values(trace.processes).map((p) => ({ service: p.serviceName, ...Object.fromEntries(p.tags.map((t) => [t.key, t.value])) }));
    expect(processes.map((p) => p.service).sort()).toEqual([...SERVICES].sort());
    for (const p of processes) {
      expect(p).toMatchObject({ 'service.namespace': 'traceshop', 'service.version': version, 'service.instance.id': expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(Object.keys(p).filter((k) => /^process\.command_(args|line)$/.test(k))).toEqual([]);
    }
    expect(new Set(processes.map((p) => p['service.instance.id'])).size).toBe(SERVICES.length);
    // `native` on the stack the tests start, `compose` on `docker compose up`'s; one for all six.
    expect([...new Set(processes.map((p) => p['deployment.environment.name']))]).toEqual([expect.stringMatching(/^(native|compose)$/)]);
  });

  it('carries the payment over RabbitMQ: publish, then process in payment, as its child', () => {
    const publish = trace.spans.find((s) => isRabbit(s) && kind(s) === 'producer' && tag(s, 'messaging.rabbitmq.routing_key') === 'payment.requests');
    expect(publish).toBeDefined();
    const process = trace.spans.find((s) => serviceOf(trace, s) === 'payment' && isRabbit(s) && kind(s) === 'consumer');
    expect(process).toBeDefined();
    expect(parentOf(process!)).toBe(publish!.spanID);
    // payment's own work (the provider call, its SQL) hangs under the process span
    const underPayment = trace.spans.filter((s) => serviceOf(trace, s) === 'payment-provider');
    expect(underPayment.length).toBeGreaterThan(0);
  });

  it('delivers order.confirmed to cart and inventory as children of the publish span', () => {
    const publish = trace.spans.find((s) => isRabbit(s) && kind(s) === 'producer' && destination(s) === 'orders:order.confirmed');
    expect(publish).toBeDefined();
    for (const svc of ['cart', 'inventory']) {
      const consumer = trace.spans.find((s) => serviceOf(trace, s) === svc && isRabbit(s) && kind(s) === 'consumer');
      expect(consumer).toBeDefined();
      expect(parentOf(consumer!)).toBe(publish!.spanID);
    }
  });

  it('shows Postgres and Redis work', () => {
    const pg = trace.spans.filter((s) => dbSystem(s) === 'postgresql');
    const redis = trace.spans.filter((s) => dbSystem(s) === 'redis');
    // The gateway's Postgres work is the checkout's own record and its outbox row.
    expect(new Set(pg.map((s) => serviceOf(trace, s)))).toEqual(new Set(['gateway', 'inventory', 'payment', 'cart']));
    // The gateway's checkout rate limit, auth's session, cart's cart, inventory's product cache
    // (invalidated by the reservation).
    expect(new Set(redis.map((s) => serviceOf(trace, s)))).toEqual(new Set(['gateway', 'auth', 'cart', 'inventory']));
  });

  it('holds no secret: password, token, card number, CVC', () => {
    const values = trace.spans.flatMap((s) => [...s.tags, ...s.logs.flatMap((l) => l.fields)]).map((kv) => `${kv.key}=${kv.value}`);
    const processTags = Object.values(trace.processes).flatMap((p) => p.tags.map((kv) => `${kv.key}=${kv.value}`));
    const all = [...values, ...processTags].join('\n');
    expect(all).not.toContain(customer.password);
    expect(all).not.toContain(customer.token);
    expect(all).not.toContain(APPROVED_CARD.cardNumber);
    expect(all).not.toMatch(new RegExp(`(cvc|cvv)[^=]*=${APPROVED_CARD.cvc}`, 'i'));
    expect(all).not.toMatch(/=Bearer /i);
  });

  it('logs JSON lines that carry the trace and span ids, and no secret', () => {
    const logDir = process.env.TRACESHOP_LOG_DIR!;
    const logs = Object.fromEntries(readdirSync(logDir).map((f) => [f.replace(/\.log$/, ''), readFileSync(join(logDir, f), 'utf8')]));
    const gatewayLines = logs['gateway']
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { trace_id?: string; span_id?: string });
    const ofThisTrace = gatewayLines.filter((l) => l.trace_id === traceId);
    expect(ofThisTrace.length).toBeGreaterThan(0);
    expect(ofThisTrace[0].span_id).toMatch(/^[0-9a-f]{16}$/);
    for (const service of SERVICES) expect(Object.keys(logs)).toContain(service);
    const all = Object.values(logs).join('\n');
    for (const secret of [customer.password, customer.token, APPROVED_CARD.cardNumber]) expect(all).not.toContain(secret);
  });

  it('records the order (the consumers ran) and answers it only to its owner', async () => {
    const order = await waitFor(() => customer.api.get(`/api/orders/${orderId}`), (r) => r.status === 200, { timeoutMs: 20_000, what: 'the order' });
    expect(order.body).toMatchObject({ orderId, status: 'paid', totalCents });
    expect((await customer.api.get('/api/cart')).body).toEqual({ items: [], totalCents: 0 });
    const stranger = await newCustomer();
    expect((await stranger.api.get(`/api/orders/${orderId}`)).status).toBe(404);
  });

  it('replays the same Idempotency-Key without charging again', async () => {
    const again = await customer.api.post('/api/checkout', { payment: APPROVED_CARD }, { 'idempotency-key': 'first-try' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual({ orderId, status: 'paid', totalCents });
    // the replay is answered from the gateway's store: its trace has no payment in it
    const replay = await getTrace(jaegerUrl(), again.headers.get('x-trace-id')!, { until: (t) => t.spans.length > 0 });
    expect(replay.spans.some((s) => serviceOf(replay, s) === 'payment')).toBe(false);
  });
});

describe('checkout outcomes', () => {
  it('declines with 402 and records a declined order', async () => {
    const { api } = await newCustomer();
    await fillCart(api);
    const res = await api.post('/api/checkout', { payment: DECLINED_CARD });
    expect(res.status).toBe(402);
    expect(res.body).toEqual({ orderId: expect.any(String), status: 'declined' });
    const order = await waitFor(() => api.get(`/api/orders/${res.body.orderId}`), (r) => r.status === 200, { timeoutMs: 20_000, what: 'the declined order' });
    expect(order.body.status).toBe('declined');
  });

  it('refuses with 409 when stock is short, and 400 for an empty cart', async () => {
    const { api } = await newCustomer();
    expect((await api.post('/api/checkout', { payment: APPROVED_CARD })).status).toBe(400);
    expect((await api.put('/api/cart/items/SKU-LIMITED-001', { quantity: 2 })).status).toBe(200);
    const res = await api.post('/api/checkout', { payment: APPROVED_CARD });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
  });
});

describe('20 concurrent checkouts', () => {
  it('give 20 disjoint traces, one order each', async () => {
    const customers = await Promise.all(Array.from({ length: 20 }, () => newCustomer()));
    await Promise.all(customers.map(({ api }) => fillCart(api)));
    const results = await Promise.all(customers.map(({ api }) => api.post('/api/checkout', { payment: APPROVED_CARD })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));

    const traceIds = results.map((r) => r.headers.get('x-trace-id')!);
    expect(new Set(traceIds).size).toBe(20);
    const traces = await Promise.all(traceIds.map((id) => getTrace(jaegerUrl(), id, { until: isComplete, timeoutMs: 60_000 })));
    const seen = new Set<string>();
    traces.forEach((t, i) => {
      expect(roots(t)).toHaveLength(1);
      const orderIds = new Set(t.spans.map((s) => tag(s, 'traceshop.order.id')).filter(Boolean));
      expect([...orderIds]).toEqual([results[i].body.orderId]);
      expect(t.spans.filter((s) => serviceOf(t, s) === 'payment' && isRabbit(s) && kind(s) === 'consumer')).toHaveLength(1);
      for (const s of t.spans) {
        expect(seen.has(s.spanID)).toBe(false);
        seen.add(s.spanID);
      }
    });
  });
});
