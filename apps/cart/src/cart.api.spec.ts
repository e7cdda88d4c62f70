import type { INestApplication } from '@nestjs/common';
import { CART_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDER_DECLINED, ORDERS_EXCHANGE, SCENARIOS, type OrderEvent, type Product } from '@traceshop/contracts';
import { AmqpService, replayDeadLetters } from '@traceshop/messaging';
import { createApp, Flags } from '@traceshop/platform';
import { createTestDatabase, createTestVhost, dropTestKeys, jsonClient, newRunId, queueDepth, REDIS_URL, setFix, setScenarios, StandIn, startStandIn, waitFor } from '@traceshop/testing';
import { connect } from 'amqplib';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrderEventsController } from './order-events.controller';

/**
 * A stand-in for the inventory service's HTTP contract (GET /products/:sku), so the cart can be
 * tested alone. Two skus misbehave on purpose: one fails, one answers too late.
 */
function standInInventory(products: Map<string, Product>): Promise<StandIn> {
  return startStandIn((req, res) => {
    const sku = decodeURIComponent(/^\/products\/([^/]+)$/.exec(req.url ?? '')?.[1] ?? '');
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (sku === 'SKU-BROKEN-001') return send(500, { statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
    if (sku === 'SKU-SLOW-001') return void setTimeout(() => send(200, {}), 5000).unref();
    const product = products.get(sku);
    return product ? send(200, product) : send(404, { statusCode: 404, error: 'Not Found', message: `unknown sku ${sku}` });
  });
}

// Runs the cart service in-process against the real Postgres, Redis and RabbitMQ (its own
// database, key prefix and vhost, removed afterwards), with a stand-in inventory.
describe('cart API', () => {
  const runId = newRunId();
  const products = new Map<string, Product>(
    [
      { sku: 'SKU-TEE-001', name: 'Trace Tee', priceCents: 2500, currency: 'EUR', available: 10000 },
      { sku: 'SKU-MUG-001', name: 'Context Propagation Mug', priceCents: 1400, currency: 'EUR', available: 10000 },
    ].map((p) => [p.sku, p]),
  );
  // A copy of the real flag file, so a test can switch a scenario without touching others.
  const flagsFile = join(tmpdir(), `traceshop-cart-flags-${runId}.json`);
  let inventory: StandIn;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let app: INestApplication;
  let api: ReturnType<typeof jsonClient>;

  const cartOf = async (userId: string) => (await api.get(`/carts/${userId}`)).body;
  const put = (userId: string, sku: string, body: unknown) => api.put(`/carts/${userId}/items/${sku}`, body);
  const orderEvent = (userId: string, status: OrderEvent['status']): OrderEvent => ({
    orderId: randomUUID(),
    userId,
    reservationId: randomUUID(),
    status,
    items: [{ sku: 'SKU-TEE-001', quantity: 2, unitPriceCents: 2500 }],
    totalCents: 5000,
  });

  beforeAll(async () => {
    inventory = await standInInventory(products);
    [db, vhost] = await Promise.all([createTestDatabase(runId), createTestVhost(runId)]);
    copyFileSync(join(__dirname, '../../../flags/traceshop.flagd.json'), flagsFile);
    Object.assign(process.env, {
      PORT: '0',
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `${runId}:`,
      AMQP_URL: vhost.url,
      INVENTORY_URL: inventory.url,
      INVENTORY_TIMEOUT_MS: '300',
      LOG_LEVEL: 'silent',
      FLAGS_FILE: flagsFile,
    });
    const { AppModule } = await import('./app.module'); // reads its configuration on import
    app = await createApp(AppModule);
    await app.listen(0);
    api = jsonClient(await app.getUrl());
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await inventory?.close();
    await dropTestKeys(`${runId}:`);
    await Promise.all([db?.drop(), vhost?.drop()]);
    rmSync(flagsFile, { force: true });
  }, 30_000);

  it('keeps a cart in Redis, priced by inventory when an item is added', async () => {
    const userId = randomUUID();
    expect(await cartOf(userId)).toEqual({ items: [], totalCents: 0 });

    const first = await put(userId, 'SKU-TEE-001', { quantity: 2 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ items: [{ sku: 'SKU-TEE-001', quantity: 2, unitPriceCents: 2500 }], totalCents: 5000 });
    expect((await put(userId, 'SKU-MUG-001', { quantity: 3 })).body.totalCents).toBe(5000 + 3 * 1400);
    // PUT sets the quantity, it does not add to it.
    expect((await put(userId, 'SKU-TEE-001', { quantity: 1 })).body.totalCents).toBe(2500 + 3 * 1400);

    // A later price change does not touch what is already in the cart.
    products.get('SKU-MUG-001')!.priceCents = 1500;
    expect(await cartOf(userId)).toEqual({
      items: [
        { sku: 'SKU-MUG-001', quantity: 3, unitPriceCents: 1400 },
        { sku: 'SKU-TEE-001', quantity: 1, unitPriceCents: 2500 },
      ],
      totalCents: 6700,
    });
    products.get('SKU-MUG-001')!.priceCents = 1400;

    const redis = new Redis(REDIS_URL);
    const ttl = await redis.ttl(`${runId}:cart:${userId}`);
    await redis.quit();
    expect(ttl).toBeGreaterThan(0);

    expect((await api.delete(`/carts/${userId}/items/SKU-MUG-001`)).body).toEqual({ items: [{ sku: 'SKU-TEE-001', quantity: 1, unitPriceCents: 2500 }], totalCents: 2500 });
    expect((await api.delete(`/carts/${userId}/items/SKU-MUG-001`)).status).toBe(200); // idempotent
    expect((await api.delete(`/carts/${userId}`)).status).toBe(204);
    expect(await cartOf(userId)).toEqual({ items: [], totalCents: 0 });
  });

  it('answers 404 for a sku inventory does not know, and leaves the cart alone', async () => {
    const userId = randomUUID();
    await put(userId, 'SKU-TEE-001', { quantity: 1 });
    const res = await put(userId, 'SKU-NOPE', { quantity: 1 });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'unknown sku SKU-NOPE' });
    expect((await cartOf(userId)).items).toHaveLength(1);
  });

  it('refuses bad input with 400', async () => {
    const userId = randomUUID();
    for (const body of ['{"quantity":', { quantity: 0 }, { quantity: 101 }, { quantity: 1.5 }, { quantity: '2' }, {}, { quantity: 1, price: 1 }]) {
      const res = await put(userId, 'SKU-TEE-001', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect((await put('not-a-uuid', 'SKU-TEE-001', { quantity: 1 })).status).toBe(400);
    expect((await api.get('/carts/not-a-uuid')).status).toBe(400);
    expect(await cartOf(userId)).toEqual({ items: [], totalCents: 0 });
  });

  it('turns a failing inventory into 502 and a silent one into 504, without hanging', async () => {
    const userId = randomUUID();
    const broken = await put(userId, 'SKU-BROKEN-001', { quantity: 1 });
    expect(broken.status).toBe(502);
    expect(broken.body).toEqual({ statusCode: 502, error: 'Bad Gateway', message: 'inventory failed' });
    const started = Date.now();
    const slow = await put(userId, 'SKU-SLOW-001', { quantity: 1 });
    // 504, not the 503 of before: the one mapping of ServiceClient (libs/platform) says what
    // happened, and here the other service did not answer in time; 503 would say the cart itself
    // is unavailable, which it is not.
    expect(slow.status).toBe(504);
    expect(slow.body).toEqual({ statusCode: 504, error: 'Gateway Timeout', message: 'inventory did not answer in time' });
    expect(Date.now() - started).toBeLessThan(2000); // INVENTORY_TIMEOUT_MS is 300 here
    expect(await cartOf(userId)).toEqual({ items: [], totalCents: 0 });
  });

  it('records a paid order from order.confirmed and empties the cart', async () => {
    const userId = randomUUID();
    await put(userId, 'SKU-TEE-001', { quantity: 2 });
    const event = orderEvent(userId, 'paid');
    await app.get(AmqpService).publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, event);

    const order = await waitFor(() => api.get(`/users/${userId}/orders/${event.orderId}`), (res) => res.status === 200, {
      timeoutMs: 5000,
      intervalMs: 25,
      what: 'the order',
    });
    expect(order.body).toEqual({ orderId: event.orderId, userId, status: 'paid', items: event.items, totalCents: 5000 });
    expect(await cartOf(userId)).toEqual({ items: [], totalCents: 0 });

    // A redelivery after the user started a new cart neither duplicates the order nor empties the cart.
    await put(userId, 'SKU-MUG-001', { quantity: 1 });
    await app.get(OrderEventsController).handle(event, ORDER_CONFIRMED);
    expect((await cartOf(userId)).items).toHaveLength(1);
    expect((await api.get(`/users/${userId}/orders/${event.orderId}`)).body).toEqual(order.body);
  }, 15_000);

  it('takes out of the cart only what a paid order bought: lines changed since the checkout stay', async () => {
    const userId = randomUUID();
    await put(userId, 'SKU-TEE-001', { quantity: 2 });
    await put(userId, 'SKU-MUG-001', { quantity: 1 });
    const event = orderEvent(userId, 'paid'); // two tees, as in the cart at checkout
    expect(event.items).toEqual([{ sku: 'SKU-TEE-001', quantity: 2, unitPriceCents: 2500 }]);
    // The event is late (held in the outbox through a broker outage): the user has meanwhile
    // added a mug to the cart for the next order, and that line must survive.
    await app.get(OrderEventsController).handle(event, ORDER_CONFIRMED);
    expect((await cartOf(userId)).items).toEqual([{ sku: 'SKU-MUG-001', quantity: 1, unitPriceCents: 1400 }]);

    // A line whose quantity changed after the checkout is the next order's, not this one's.
    await put(userId, 'SKU-TEE-001', { quantity: 3 });
    const second = { ...orderEvent(userId, 'paid'), items: [{ sku: 'SKU-TEE-001', quantity: 1, unitPriceCents: 2500 }] };
    await app.get(OrderEventsController).handle(second, ORDER_CONFIRMED);
    expect((await cartOf(userId)).items.map((i: { sku: string; quantity: number }) => [i.sku, i.quantity])).toEqual([['SKU-MUG-001', 1], ['SKU-TEE-001', 3]]);
  });

  it('records a declined order from order.declined and keeps the cart', async () => {
    const userId = randomUUID();
    await put(userId, 'SKU-TEE-001', { quantity: 2 });
    const event = orderEvent(userId, 'declined');
    await app.get(AmqpService).publish(ORDERS_EXCHANGE, ORDER_DECLINED, event);

    const order = await waitFor(() => api.get(`/users/${userId}/orders/${event.orderId}`), (res) => res.status === 200, {
      timeoutMs: 5000,
      intervalMs: 25,
      what: 'the order',
    });
    expect(order.body).toMatchObject({ orderId: event.orderId, status: 'declined' });
    expect(await cartOf(userId)).toEqual({ items: [{ sku: 'SKU-TEE-001', quantity: 2, unitPriceCents: 2500 }], totalCents: 5000 });
  }, 15_000);

  it('records a failed order (nothing charged) from order.declined, keeps the cart, and refuses a paid one there', async () => {
    const userId = randomUUID();
    await put(userId, 'SKU-TEE-001', { quantity: 1 });
    const event = orderEvent(userId, 'failed');
    await app.get(OrderEventsController).handle(event, ORDER_DECLINED);
    expect((await api.get(`/users/${userId}/orders/${event.orderId}`)).body).toMatchObject({ orderId: event.orderId, status: 'failed' });
    expect((await cartOf(userId)).items).toHaveLength(1);

    // An order.declined that says "paid" contradicts itself: refused (retried, then dead-lettered), not recorded.
    const contradiction = orderEvent(userId, 'paid');
    await expect(app.get(OrderEventsController).handle(contradiction, ORDER_DECLINED)).rejects.toThrow('cannot record an order as paid');
    expect((await api.get(`/users/${userId}/orders/${contradiction.orderId}`)).status).toBe(404);
  });

  it("answers 404 for another user's order, as for a missing one", async () => {
    const owner = randomUUID();
    const event = orderEvent(owner, 'paid');
    await app.get(OrderEventsController).handle(event, ORDER_CONFIRMED);
    expect((await api.get(`/users/${owner}/orders/${event.orderId}`)).status).toBe(200);

    const someoneElse = await api.get(`/users/${randomUUID()}/orders/${event.orderId}`);
    expect(someoneElse.status).toBe(404);
    expect(someoneElse.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'order not found' });
    expect((await api.get(`/users/${owner}/orders/${randomUUID()}`)).body).toEqual(someoneElse.body);
    expect((await api.get(`/users/${owner}/orders/not-a-uuid`)).status).toBe(400);
  });

  it('dead-letters an order event it does not understand', async () => {
    await app.get(AmqpService).publish(ORDERS_EXCHANGE, 'order.shipped', orderEvent(randomUUID(), 'paid'));
    const connection = await connect(vhost.url);
    const channel = await connection.createChannel();
    const dlq = `${CART_ORDER_EVENTS_QUEUE}.dlq`;
    try {
      const depth = await waitFor(async () => (await channel.checkQueue(dlq)).messageCount, (n) => n > 0, { timeoutMs: 5000, intervalMs: 25, what: dlq });
      expect(depth).toBe(1);
    } finally {
      await connection.close();
    }
  }, 15_000);

  it('poison-message: dead-letters paid orders on the table constraint; the fix records them, and the replayed dead letters become orders', async () => {
    const flags = app.get(Flags);
    const dlq = `${CART_ORDER_EVENTS_QUEUE}.dlq`;
    const orderOf = (userId: string, orderId: string) => api.get(`/users/${userId}/orders/${orderId}`);
    const userId = randomUUID();
    await put(userId, 'SKU-TEE-001', { quantity: 2 });
    const event = orderEvent(userId, 'paid');
    setScenarios(flagsFile, ['poison-message'], true);
    try {
      await waitFor(() => flags.isOn(SCENARIOS.poisonMessage), Boolean, { timeoutMs: 15_000, what: 'poison-message on' });
      // The failure is in the database: the state cart names, not the event, breaks the constraint.
      await expect(app.get(OrderEventsController).handle(event, ORDER_CONFIRMED)).rejects.toThrow(/orders_status_check/);
      const before = await queueDepth(vhost.url, dlq);
      await app.get(AmqpService).publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, event);
      await waitFor(() => queueDepth(vhost.url, dlq), (n) => n === before + 1, { timeoutMs: 10_000, what: `${dlq} one deeper` });
      expect((await orderOf(userId, event.orderId)).status).toBe(404);
      // Declined orders still go through.
      const declined = orderEvent(userId, 'declined');
      await app.get(OrderEventsController).handle(declined, ORDER_DECLINED);
      expect((await orderOf(userId, declined.orderId)).body).toMatchObject({ status: 'declined' });

      setFix(flagsFile, 'poison-message', true);
      await waitFor(() => flags.fixOn(SCENARIOS.poisonMessage), Boolean, { timeoutMs: 15_000, what: 'the fix on' });
      const next = orderEvent(userId, 'paid');
      await app.get(OrderEventsController).handle(next, ORDER_CONFIRMED);
      expect((await orderOf(userId, next.orderId)).body).toMatchObject({ status: 'paid' });
      // The order dead-lettered before the fix is not lost: replayed, it is recorded and the cart emptied.
      expect(await replayDeadLetters(vhost.url, CART_ORDER_EVENTS_QUEUE)).toBe(before + 1);
      const order = await waitFor(() => orderOf(userId, event.orderId), (res) => res.status === 200, { timeoutMs: 10_000, what: 'the replayed order' });
      expect(order.body).toEqual({ orderId: event.orderId, userId, status: 'paid', items: event.items, totalCents: 5000 });
      expect(await cartOf(userId)).toEqual({ items: [], totalCents: 0 });
    } finally {
      setFix(flagsFile, 'poison-message', false);
      setScenarios(flagsFile, ['poison-message'], false);
    }
  }, 60_000);
});
