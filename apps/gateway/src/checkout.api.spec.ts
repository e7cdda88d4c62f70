import type { INestApplication } from '@nestjs/common';
import {
  ORDER_CONFIRMED,
  ORDER_DECLINED,
  OrderEvent,
  ORDERS_EXCHANGE,
  PAYMENT_REQUESTS_QUEUE,
  PaymentOutcome,
  PaymentReply,
  PaymentRequest,
} from '@traceshop/contracts';
import { createApp } from '@traceshop/platform';
import { createTestDatabase, createTestVhost, dropTestKeys, JsonClient, jsonClient, newRunId, REDIS_URL, repoRoot, startStandIn, waitFor } from '@traceshop/testing';
import { Channel, ChannelModel, connect, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { orderIdFor } from './checkout.service';

const CARD = { cardNumber: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' };
const ITEMS = [{ sku: 'SKU-TEE-001', quantity: 2, unitPriceCents: 2500 }];

/**
 * auth, cart, inventory and payment's HTTP side, played by one node:http server (apps never
 * import each other). Tokens are user ids; every user's cart holds ITEMS; inventory holds stock
 * unless told otherwise per order; payment's reconciliation answers what `outcomes` says.
 */
async function startUpstreams() {
  const reservations = new Map<string, number>(); // order id → POST /reservations calls
  const refuse = new Set<string>(); // orders inventory answers 409
  const released = new Set<string>(); // orders whose reservation is released
  const outcomes = new Map<string, PaymentOutcome['status']>();
  const reconciliations: string[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const answer = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    const url = req.url ?? '';
    if (url === '/introspect') return answer(200, { active: true, userId: JSON.parse(body).token, email: 'x@example.com' });
    if (url.startsWith('/carts/')) return answer(200, { items: ITEMS, totalCents: 5000 });
    if (url.startsWith('/users/')) return answer(404, { statusCode: 404, error: 'Not Found', message: 'order not found' });
    if (url === '/reservations') {
      const { orderId } = JSON.parse(body) as { orderId: string };
      const calls = (reservations.get(orderId) ?? 0) + 1;
      reservations.set(orderId, calls);
      if (refuse.has(orderId)) return answer(409, { statusCode: 409, error: 'Conflict', message: 'insufficient stock for SKU-TEE-001' });
      const status = released.has(orderId) ? 'released' : 'held';
      return answer(calls === 1 ? 201 : 200, { reservationId: `00000000-0000-4000-8000-${orderId.slice(-12)}`, orderId, status });
    }
    const reconcile = url.match(/^\/payments\/([^/]+)\/reconcile$/);
    if (reconcile) {
      reconciliations.push(reconcile[1]);
      return answer(200, { orderId: reconcile[1], status: outcomes.get(reconcile[1]) ?? 'unknown' });
    }
    answer(404, {});
  };
  const { url, close } = await startStandIn(handle);
  return { url, reservations, refuse, released, outcomes, reconciliations, close };
}

type PaymentMode = 'approve' | 'decline' | 'error' | 'silent';

/** payment's RabbitMQ side: answers each request as `mode` says (silent: never). */
async function startPaymentStandIn(connection: ChannelModel) {
  const channel = await connection.createChannel();
  const requests: PaymentRequest[] = [];
  const stub = { mode: 'approve' as PaymentMode, requests };
  await channel.consume(PAYMENT_REQUESTS_QUEUE, (msg) => {
    if (!msg) return;
    const request = JSON.parse(msg.content.toString()) as PaymentRequest;
    requests.push(request);
    channel.ack(msg);
    if (stub.mode === 'silent') return;
    const status = ({ approve: 'approved', decline: 'declined', error: 'error' } as const)[stub.mode];
    const reply: PaymentReply = { orderId: request.orderId, paymentId: randomUUID(), status };
    channel.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify(reply)), { correlationId: msg.properties.correlationId });
  });
  return stub;
}

/** Every order event the gateway publishes, as cart's and inventory's queues would get it. */
async function captureOrderEvents(channel: Channel) {
  const events: { routingKey: string; event: OrderEvent; msg: ConsumeMessage }[] = [];
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, ORDERS_EXCHANGE, 'order.*');
  await channel.consume(queue, (msg) => msg && events.push({ routingKey: msg.fields.routingKey, event: JSON.parse(msg.content.toString()), msg }), { noAck: true });
  return events;
}

// The gateway in-process against the real Postgres and RabbitMQ (its own database and vhost),
// with stand-ins for the services it calls.
describe('the checkout saga (gateway)', () => {
  const runId = newRunId();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let upstreams: Awaited<ReturnType<typeof startUpstreams>>;
  let app: INestApplication;
  let connection: ChannelModel;
  let payment: Awaited<ReturnType<typeof startPaymentStandIn>>;
  let events: Awaited<ReturnType<typeof captureOrderEvents>>;
  let pg: Client;

  const shopper = () => {
    const userId = randomUUID();
    return { userId, api: jsonClient(baseUrl, { authorization: `Bearer ${userId}` }) };
  };
  let baseUrl: string;
  const checkout = (api: JsonClient, key?: string) => api.post('/api/checkout', { payment: CARD }, key ? { 'idempotency-key': key } : {});
  const row = async (orderId: string) => (await pg.query('SELECT * FROM gateway.checkouts WHERE order_id = $1', [orderId])).rows[0];
  const eventsOf = (orderId: string) => events.filter((e) => e.event.orderId === orderId);
  const requestsOf = (orderId: string) => payment.requests.filter((r) => r.orderId === orderId);

  beforeAll(async () => {
    [db, vhost, upstreams] = await Promise.all([createTestDatabase(runId), createTestVhost(runId), startUpstreams()]);
    Object.assign(process.env, {
      PORT: '0',
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `${runId}:`, // the rate limits' counters
      AUTH_URL: upstreams.url,
      CART_URL: upstreams.url,
      INVENTORY_URL: upstreams.url,
      PAYMENT_URL: upstreams.url,
      UPSTREAM_TIMEOUT_MS: '2000',
      PAYMENT_TIMEOUT_MS: '400',
      RECONCILE_INTERVAL_MS: '200',
      RECONCILE_AFTER_MS: '1500',
      OUTBOX_INTERVAL_MS: '200',
      FLAGS_FILE: join(repoRoot(__dirname), 'flags/traceshop.flagd.json'),
      LOG_LEVEL: 'silent',
    });
    const { AppModule } = await import('./app.module');
    app = await createApp(AppModule);
    await app.listen(0);
    baseUrl = await app.getUrl();
    connection = await connect(vhost.url); // after the app, which declares the topology
    payment = await startPaymentStandIn(connection);
    events = await captureOrderEvents(await connection.createChannel());
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  }, 60_000);

  afterAll(async () => {
    await connection?.close();
    await pg?.end();
    await app?.close();
    await upstreams?.close();
    await dropTestKeys(`${runId}:`);
    await vhost?.drop();
    await db?.drop();
  });

  beforeEach(() => (payment.mode = 'approve'));

  it('pays: 201, the checkout recorded paid, order.confirmed published from the outbox once', async () => {
    const { userId, api } = shopper();
    const res = await checkout(api, 'pay-1');
    expect(res.status).toBe(201);
    const { orderId } = res.body;
    expect(res.body).toEqual({ orderId, status: 'paid', totalCents: 5000 });
    expect(await row(orderId)).toMatchObject({ state: 'paid', user_id: userId, idempotency_key: 'pay-1', total_cents: 5000 });
    const [confirmed] = await waitFor(async () => eventsOf(orderId), (e) => e.length > 0, { what: 'order.confirmed' });
    expect(confirmed.routingKey).toBe(ORDER_CONFIRMED);
    expect(confirmed.event).toEqual({ orderId, userId, reservationId: expect.any(String), status: 'paid', items: ITEMS, totalCents: 5000 });
    expect(confirmed.msg.properties.messageId).toBe(orderId);
    const { rows: outbox } = await pg.query('SELECT sent_at FROM gateway.outbox WHERE message_id = $1', [orderId]);
    expect(outbox).toEqual([{ sent_at: expect.any(Date) }]);

    // The same key again: the recorded answer, with nothing asked of anyone.
    const replay = await checkout(api, 'pay-1');
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(res.body);
    expect(upstreams.reservations.get(orderId)).toBe(1);
    expect(requestsOf(orderId)).toHaveLength(1);
    expect(eventsOf(orderId)).toHaveLength(1);
  });

  it('declines: 402 and order.declined with status declined', async () => {
    payment.mode = 'decline';
    const res = await checkout(shopper().api, 'decline-1');
    expect(res.status).toBe(402);
    expect(res.body).toEqual({ orderId: res.body.orderId, status: 'declined' });
    const [declined] = await waitFor(async () => eventsOf(res.body.orderId), (e) => e.length > 0, { what: 'order.declined' });
    expect(declined.routingKey).toBe(ORDER_DECLINED);
    expect(declined.event.status).toBe('declined');
  });

  it('never guesses a lost payment answer: 202 pending, no event; the retry settles it with payment and never pays twice', async () => {
    const { api } = shopper();
    payment.mode = 'silent'; // the request is taken, the reply never comes
    const first = await checkout(api, 'lost-1');
    expect(first.status).toBe(202);
    const { orderId } = first.body;
    expect(first.body).toEqual({ orderId, status: 'pending', message: expect.stringContaining('not known yet') });
    expect(first.headers.get('location')).toBe(`/api/orders/${orderId}`);
    expect((await row(orderId)).state).toBe('payment_unknown');
    expect((await api.get(`/api/orders/${orderId}`)).body).toMatchObject({ orderId, status: 'pending', totalCents: 5000 });

    // payment (asking the provider) finds the charge went through.
    upstreams.outcomes.set(orderId, 'approved');
    payment.mode = 'approve';
    const retry = await checkout(api, 'lost-1');
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual({ orderId, status: 'paid', totalCents: 5000 });
    expect(upstreams.reconciliations).toContain(orderId);
    expect(requestsOf(orderId)).toHaveLength(1); // asked, never charged again
    await waitFor(async () => eventsOf(orderId), (e) => e.length === 1, { what: 'one order.confirmed' });
    expect(eventsOf(orderId).map((e) => e.routingKey)).toEqual([ORDER_CONFIRMED]);
    expect((await api.get(`/api/orders/${orderId}`)).body).toMatchObject({ status: 'paid' });
  });

  it('payment answering `error` is unknown too, not "nothing was charged"', async () => {
    payment.mode = 'error';
    const res = await checkout(shopper().api, 'error-1');
    expect(res.status).toBe(202);
    expect((await row(res.body.orderId)).state).toBe('payment_unknown');
    expect(eventsOf(res.body.orderId)).toEqual([]);
  });

  it('reconciles checkouts nobody retries, in the background: voided → failed, stock released', async () => {
    const { userId, api } = shopper();
    payment.mode = 'silent';
    const { body } = await checkout(api);
    const orderId = body.orderId as string;
    // Still unknown to payment at first: the checkout stays open, no event.
    await waitFor(async () => upstreams.reconciliations.filter((id) => id === orderId).length, (n) => n >= 1, { what: 'a reconciliation' });
    expect((await row(orderId)).state).toBe('payment_unknown');
    expect(eventsOf(orderId)).toEqual([]);

    upstreams.outcomes.set(orderId, 'voided');
    const [released] = await waitFor(async () => eventsOf(orderId), (e) => e.length > 0, { timeoutMs: 20_000, what: 'order.declined' });
    expect(released.routingKey).toBe(ORDER_DECLINED);
    expect(released.event).toMatchObject({ orderId, userId, status: 'failed' });
    expect(await row(orderId)).toMatchObject({ state: 'failed', reason: expect.stringContaining('nothing was charged') });
    expect((await api.get(`/api/orders/${orderId}`)).body).toMatchObject({ status: 'failed' });
  });

  it('answers 409 to a refused reservation, records it rejected, and starts again on a retry with the same key', async () => {
    const { userId, api } = shopper();
    const orderId = orderIdFor(userId, 'short');
    upstreams.refuse.add(orderId);
    const refused = await checkout(api, 'short');
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'insufficient stock for SKU-TEE-001' });
    expect(await row(orderId)).toMatchObject({ state: 'rejected' });
    expect(requestsOf(orderId)).toEqual([]);

    upstreams.refuse.delete(orderId);
    const again = await checkout(api, 'short');
    expect(again.status).toBe(201);
    expect(again.body.orderId).toBe(orderId);
  });

  it('fails a retry whose reservation expired meanwhile: 502 "nothing was charged", payment never asked, the release event sent', async () => {
    const { userId, api } = shopper();
    const orderId = orderIdFor(userId, 'expired');
    // A checkout whose gateway died after reserving, before asking payment; inventory has since released the stock.
    await pg.query(
      `INSERT INTO gateway.checkouts (order_id, user_id, idempotency_key, state, items, total_cents) VALUES ($1, $2, 'expired', 'reserving', $3, 5000)`,
      [orderId, userId, JSON.stringify(ITEMS)],
    );
    upstreams.released.add(orderId);
    const res = await checkout(api, 'expired');
    expect(res.status).toBe(502);
    expect(res.body.message).toContain('nothing was charged');
    expect(requestsOf(orderId)).toEqual([]);
    expect((await row(orderId)).state).toBe('failed');
    const [event] = await waitFor(async () => eventsOf(orderId), (e) => e.length > 0, { what: 'order.declined' });
    expect(event).toMatchObject({ routingKey: ORDER_DECLINED, event: { status: 'failed' } });
  });

  it('lets one request at a time work on a key: the other gets 409', async () => {
    payment.mode = 'silent'; // the first request holds the checkout for the whole payment timeout
    const { api } = shopper();
    const answers = await Promise.all([checkout(api, 'twice'), checkout(api, 'twice')]);
    expect(answers.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(answers.find((r) => r.status === 409)!.body.message).toBe('a request with this Idempotency-Key is in progress');
  });

  it('finishes a checkout abandoned before payment (its gateway died): failed, and the stock released', async () => {
    const userId = randomUUID();
    const orderId = randomUUID();
    await pg.query(
      `INSERT INTO gateway.checkouts (order_id, user_id, state, items, total_cents, updated_at) VALUES ($1, $2, 'reserving', $3, 5000, now() - interval '1 hour')`,
      [orderId, userId, JSON.stringify(ITEMS)],
    );
    const [event] = await waitFor(async () => eventsOf(orderId), (e) => e.length > 0, { what: 'order.declined' });
    expect(event).toMatchObject({ routingKey: ORDER_DECLINED, event: { orderId, userId, status: 'failed' } });
    expect(await row(orderId)).toMatchObject({ state: 'failed', reason: 'abandoned before payment was asked' });
    expect(requestsOf(orderId)).toEqual([]);
  });

  it('relays an outbox row left unsent (a crash between the commit and the publish), once', async () => {
    const orderId = randomUUID();
    const traceparent = `00-${randomUUID().replace(/-/g, '')}-${'ab'.repeat(8)}-01`;
    await pg.query(
      `INSERT INTO gateway.outbox (exchange, routing_key, message_id, payload, trace_context) VALUES ($1, $2, $3, $4, $5)`,
      [ORDERS_EXCHANGE, ORDER_CONFIRMED, orderId, JSON.stringify({ orderId, status: 'paid' }), JSON.stringify({ traceparent })],
    );
    const [event] = await waitFor(async () => eventsOf(orderId), (e) => e.length > 0, { what: 'the relayed event' });
    expect(event.routingKey).toBe(ORDER_CONFIRMED);
    // Marked sent once the broker confirmed (just after the consumer may have it already).
    const sent = await waitFor(
      async () => (await pg.query('SELECT sent_at, attempts FROM gateway.outbox WHERE message_id = $1', [orderId])).rows,
      (rows) => rows[0]?.sent_at !== null,
      { what: 'the row marked sent' },
    );
    expect(sent).toEqual([{ sent_at: expect.any(Date), attempts: 1 }]);
    expect(eventsOf(orderId)).toHaveLength(1);
  });
});
