import type { INestApplication } from '@nestjs/common';
import { INVENTORY_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDER_DECLINED, ORDERS_EXCHANGE, type OrderEvent } from '@traceshop/contracts';
import { AmqpService } from '@traceshop/messaging';
import { createApp } from '@traceshop/platform';
import { createTestDatabase, createTestVhost, dropTestKeys, jsonClient, newRunId, REDIS_URL, waitFor } from '@traceshop/testing';
import { connect } from 'amqplib';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';
import { OrderEventsConsumer } from './order-events.consumer';

// Runs the inventory service in-process against the real Postgres, Redis and RabbitMQ: its own
// database, key prefix and vhost, removed afterwards.
describe('inventory API', () => {
  const runId = newRunId();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let app: INestApplication;
  let api: ReturnType<typeof jsonClient>;
  let pg: Pool;
  let redis: Redis;

  const available = async (sku: string) => (await api.get(`/products/${sku}`)).body.available as number;
  const reservationOf = async (orderId: string) =>
    (await pg.query('SELECT status FROM reservations WHERE order_id = $1', [orderId])).rows[0]?.status as string | undefined;
  const stockOf = async (sku: string) =>
    (await pg.query('SELECT on_hand AS "onHand", reserved FROM stock WHERE sku = $1', [sku])).rows[0];
  const event = (orderId: string, items: { sku: string; quantity: number }[]): OrderEvent => ({
    orderId,
    userId: randomUUID(),
    reservationId: randomUUID(),
    status: 'paid',
    items: items.map((i) => ({ ...i, unitPriceCents: 100 })),
    totalCents: 100,
  });

  /**
   * Sends `count` requests while the test holds the stock row of `sku`, waits until every one of
   * them is blocked in Postgres, then lets go: they really race, instead of arriving one after
   * the other (an in-process server finishes one reservation before the next request is parsed).
   */
  async function race<T>(sku: string, count: number, send: () => Promise<T>): Promise<T[]> {
    const blocker = await pg.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM stock WHERE sku = $1 FOR UPDATE', [sku]);
      const results = Promise.all(Array.from({ length: count }, send));
      const waiting = async () =>
        (await pg.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n;
      await waitFor(waiting, (n) => n === count, { timeoutMs: 5000, intervalMs: 10, what: `${count} requests waiting on locks` });
      await blocker.query('COMMIT');
      return await results;
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined); // only matters when waitFor gave up
      blocker.release();
    }
  }

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(runId), createTestVhost(runId)]);
    Object.assign(process.env, {
      PORT: '0',
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `${runId}:`,
      AMQP_URL: vhost.url,
      FLAGS_FILE: join(__dirname, '../../../flags/traceshop.flagd.json'),
      LOG_LEVEL: 'silent',
    });
    const { AppModule } = await import('./app.module'); // reads its configuration on import
    app = await createApp(AppModule);
    await app.listen(0);
    api = jsonClient(await app.getUrl());
    pg = new Pool({ connectionString: db.url, options: '-c search_path=inventory' });
    redis = new Redis(REDIS_URL);
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await pg?.end();
    await redis?.quit();
    await dropTestKeys(`${runId}:`);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 30_000);

  it('lists the catalogue and then serves it from the Redis cache', async () => {
    const first = await api.get('/products');
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(9);
    expect(first.body).toContainEqual({ sku: 'SKU-TEE-001', name: 'Trace Tee', priceCents: 2500, currency: 'EUR', available: 10000 });
    expect(first.body).toContainEqual(expect.objectContaining({ sku: 'SKU-LIMITED-001', available: 1 }));

    const ttl = await redis.ttl(`${runId}:products`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
    // A change behind the service's back stays invisible while the cached list is served...
    await pg.query(`UPDATE products SET name = 'Renamed Tee' WHERE sku = 'SKU-TEE-001'`);
    expect((await api.get('/products')).body).toEqual(first.body);
    // ...until a reservation changes availability and drops the cached list.
    const orderId = randomUUID();
    expect((await api.post('/reservations', { orderId, items: [{ sku: 'SKU-SOCKS-001', quantity: 1 }] })).status).toBe(201);
    expect(await redis.exists(`${runId}:products`)).toBe(0);
    const fresh = (await api.get('/products')).body;
    expect(fresh).toContainEqual(expect.objectContaining({ sku: 'SKU-TEE-001', name: 'Renamed Tee' }));
    expect(fresh).toContainEqual(expect.objectContaining({ sku: 'SKU-SOCKS-001', available: 9999 }));
    await pg.query(`UPDATE products SET name = 'Trace Tee' WHERE sku = 'SKU-TEE-001'`);
  });

  it('answers one product, and 404 for an unknown sku', async () => {
    expect((await api.get('/products/SKU-MUG-001')).body).toEqual({
      sku: 'SKU-MUG-001',
      name: 'Context Propagation Mug',
      priceCents: 1400,
      currency: 'EUR',
      available: 10000,
    });
    const unknown = await api.get('/products/SKU-NOPE');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'unknown sku SKU-NOPE' });
  });

  it('reserves stock once per order: a repeat returns the same reservation (200)', async () => {
    const orderId = randomUUID();
    const body = { orderId, items: [{ sku: 'SKU-TEE-001', quantity: 2 }, { sku: 'SKU-CAP-001', quantity: 1 }, { sku: 'SKU-TEE-001', quantity: 1 }] };
    const first = await api.post('/reservations', body);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ reservationId: expect.any(String), orderId, status: 'held' });
    expect(await available('SKU-TEE-001')).toBe(10000 - 3);
    expect(await available('SKU-CAP-001')).toBe(10000 - 1);

    const again = await api.post('/reservations', body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await available('SKU-TEE-001')).toBe(10000 - 3);
  });

  it('refuses a short item with 409 and reserves nothing of the order', async () => {
    const orderId = randomUUID();
    const short = await api.post('/reservations', { orderId, items: [{ sku: 'SKU-BOTTLE-001', quantity: 5 }, { sku: 'SKU-LIMITED-001', quantity: 2 }] });
    expect(short.status).toBe(409);
    expect(short.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'insufficient stock for SKU-LIMITED-001' });
    expect(await available('SKU-BOTTLE-001')).toBe(10000);
    expect(await available('SKU-LIMITED-001')).toBe(1);
    expect(await reservationOf(orderId)).toBeUndefined(); // the order may try again
    expect((await api.post('/reservations', { orderId, items: [{ sku: 'SKU-BOTTLE-001', quantity: 5 }] })).status).toBe(201);
  });

  it('refuses an unknown sku with 404', async () => {
    const res = await api.post('/reservations', { orderId: randomUUID(), items: [{ sku: 'SKU-NOTEBOOK-001', quantity: 1 }, { sku: 'SKU-NOPE', quantity: 1 }] });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'unknown sku SKU-NOPE' });
    expect(await available('SKU-NOTEBOOK-001')).toBe(10000);
  });

  it('refuses bad bodies with 400', async () => {
    const orderId = randomUUID();
    const item = { sku: 'SKU-TEE-001', quantity: 1 };
    const bad = [
      '{"orderId":',
      { orderId, items: [item], note: 'hi' },
      { orderId, items: [{ ...item, colour: 'red' }] },
      { orderId, items: [{ ...item, quantity: 0 }] },
      { orderId, items: [{ ...item, quantity: 101 }] },
      { orderId, items: [{ ...item, quantity: 1.5 }] },
      { orderId: 'order-1', items: [item] },
      { orderId, items: [] },
      { orderId, items: Array.from({ length: 51 }, () => item) },
      { orderId, items: [5] },
      { orderId },
    ];
    for (const body of bad) {
      const res = await api.post('/reservations', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect(await reservationOf(orderId)).toBeUndefined();
  });

  it('gives the last unit to exactly one of 10 concurrent reservations', async () => {
    const sku = `SKU-RACE-${runId}`;
    await pg.query(`INSERT INTO products (sku, name, price_cents) VALUES ($1, 'Race Item', 100)`, [sku]);
    await pg.query(`INSERT INTO stock (sku, on_hand) VALUES ($1, 1)`, [sku]);
    const attempts = await race(sku, 10, () => api.post('/reservations', { orderId: randomUUID(), items: [{ sku, quantity: 1 }] }));
    expect(attempts.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    expect(await stockOf(sku)).toEqual({ onHand: 1, reserved: 1 });
  });

  it('reserves once when the same order is sent concurrently', async () => {
    const orderId = randomUUID();
    const attempts = await race('SKU-HOODIE-001', 5, () => api.post('/reservations', { orderId, items: [{ sku: 'SKU-HOODIE-001', quantity: 4 }] }));
    expect(attempts.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(attempts.map((r) => r.body.reservationId)).size).toBe(1);
    expect(await stockOf('SKU-HOODIE-001')).toEqual({ onHand: 10000, reserved: 4 });
  });

  it('commits on order.confirmed and releases on order.declined, once', async () => {
    const [paid, declined] = [randomUUID(), randomUUID()];
    const items = [{ sku: 'SKU-STICKERS-001', quantity: 3 }];
    for (const orderId of [paid, declined]) expect((await api.post('/reservations', { orderId, items })).status).toBe(201);
    expect(await stockOf('SKU-STICKERS-001')).toEqual({ onHand: 10000, reserved: 6 });

    const amqp = app.get(AmqpService);
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, event(paid, items));
    await amqp.publish(ORDERS_EXCHANGE, ORDER_DECLINED, { ...event(declined, items), status: 'declined' });
    const settled = () => Promise.all([reservationOf(paid), reservationOf(declined)]);
    const statuses = await waitFor(settled, ([a, b]) => a !== 'held' && b !== 'held', { timeoutMs: 5000, intervalMs: 25, what: 'both reservations settled' });
    expect(statuses).toEqual(['committed', 'released']);
    expect(await stockOf('SKU-STICKERS-001')).toEqual({ onHand: 9997, reserved: 0 });

    // A redelivery, or the opposite event arriving late, changes nothing.
    const consumer = app.get(OrderEventsConsumer);
    await consumer.handle(event(paid, items), ORDER_CONFIRMED);
    await consumer.handle(event(paid, items), ORDER_DECLINED);
    await consumer.handle(event(declined, items), ORDER_CONFIRMED);
    expect(await settled()).toEqual(['committed', 'released']);
    expect(await stockOf('SKU-STICKERS-001')).toEqual({ onHand: 9997, reserved: 0 });
  }, 15_000);

  it('dead-letters an order event it does not understand', async () => {
    await app.get(AmqpService).publish(ORDERS_EXCHANGE, 'order.shipped', event(randomUUID(), []));
    const connection = await connect(vhost.url);
    const channel = await connection.createChannel();
    const dlq = `${INVENTORY_ORDER_EVENTS_QUEUE}.dlq`;
    try {
      const depth = await waitFor(async () => (await channel.checkQueue(dlq)).messageCount, (n) => n > 0, { timeoutMs: 5000, intervalMs: 25, what: dlq });
      expect(depth).toBe(1);
    } finally {
      await connection.close();
    }
  }, 15_000);
});
