import { Logger, type INestApplication } from '@nestjs/common';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type ContextManager,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { INVENTORY_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDER_DECLINED, ORDERS_EXCHANGE, SCENARIOS, type OrderEvent, type ScenarioName } from '@traceshop/contracts';
import { AmqpService } from '@traceshop/messaging';
import { createApp, Flags, PG_POOL } from '@traceshop/platform';
import { createTestDatabase, createTestVhost, dropTestKeys, jsonClient, newRunId, REDIS_URL, setFix, setScenarios, startStandIn, switchAllOff, waitFor } from '@traceshop/testing';
import { connect } from 'amqplib';
import Redis from 'ioredis';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { InventoryRepository } from './inventory.repository';
import { InventoryService } from './inventory.service';
import { OrderEventsController } from './order-events.controller';

/**
 * Just enough OpenTelemetry for this test to see the spans inventory starts (apps never load the
 * SDK): a context manager on AsyncLocalStorage, the W3C propagator, and a tracer that records.
 */
class RecordedSpan implements Span {
  readonly attributes: SpanAttributes;
  readonly links: Link[];
  private readonly ownContext: SpanContext;

  constructor(readonly name: string, options: SpanOptions, readonly parent: SpanContext | undefined) {
    this.attributes = { ...options.attributes };
    this.links = [...(options.links ?? [])];
    this.ownContext = { traceId: parent?.traceId ?? randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED };
  }
  spanContext = () => this.ownContext;
  setAttribute = (key: string, value: SpanAttributes[string]) => ((this.attributes[key] = value), this);
  setAttributes = (attributes: SpanAttributes) => (Object.assign(this.attributes, attributes), this);
  addEvent = () => this;
  addLink = (link: Link) => (this.links.push(link), this);
  addLinks = (links: Link[]) => (this.links.push(...links), this);
  setStatus = () => this;
  updateName = () => this;
  end = () => undefined;
  isRecording = () => true;
  recordException = () => undefined;
}

const spans: RecordedSpan[] = [];
const startSpan = (name: string, options: SpanOptions = {}, ctx: Context = context.active()) => {
  const span = new RecordedSpan(name, options, options.root ? undefined : trace.getSpanContext(ctx));
  spans.push(span);
  return span;
};
const recordingTracer = {
  startSpan,
  startActiveSpan: (name: string, ...rest: unknown[]) => {
    const fn = rest.pop() as (span: Span) => unknown;
    const [options, ctx = context.active()] = rest as [SpanOptions?, Context?];
    const span = startSpan(name, options, ctx);
    return context.with(trace.setSpan(ctx, span), fn, undefined, span);
  },
} as Tracer;

class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active = () => this.storage.getStore() ?? ROOT_CONTEXT;
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind = <T>(_ctx: Context, target: T) => target;
  enable = () => this;
  disable = () => (this.storage.disable(), this);
}

/**
 * Payment's `POST /payments/:orderId/reconcile`, played by node:http: the outcome set for an
 * order, and `unknown` for any other, like a checkout whose provider cannot be asked. (Payment
 * answers `voided` for an order it never saw.) It records who was asked about.
 */
async function startPaymentStandIn() {
  const answers = new Map<string, 'approved' | 'declined' | 'voided'>();
  const asked: string[] = [];
  const { url, close } = await startStandIn((req, res) => {
    const orderId = /^\/payments\/([0-9a-f-]{36})\/reconcile$/.exec(req.url ?? '')?.[1];
    if (!orderId || req.method !== 'POST') return res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    asked.push(orderId);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ orderId, status: answers.get(orderId) ?? 'unknown' }));
  });
  return { answers, asked, url, close };
}

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
  let payment: Awaited<ReturnType<typeof startPaymentStandIn>>;
  // A copy of the flag file, so the fault and fix tests switch scenarios for this app only.
  const flagsDir = mkdtempSync(join(tmpdir(), 'inventory-flags-'));
  const flagsFile = join(flagsDir, 'flags.json');

  const available = async (sku: string) => (await api.get(`/products/${sku}`)).body.available as number;
  const reservationOf = async (orderId: string) =>
    (await pg.query('SELECT status FROM reservations WHERE order_id = $1', [orderId])).rows[0]?.status as string | undefined;
  const stockOf = async (sku: string) =>
    (await pg.query('SELECT on_hand AS "onHand", reserved FROM stock WHERE sku = $1', [sku])).rows[0];
  /** The sweeper's first span for the order once it has decided (the decision is set after payment answered). */
  const decided = async (orderId: string) =>
    (await waitFor(
      async () => spans.find((s) => s.name === 'inventory.expire_reservation' && s.attributes['traceshop.order.id'] === orderId),
      (span) => span?.attributes['traceshop.reservation.decision'] !== undefined,
      { timeoutMs: 10_000, intervalMs: 50, what: `the expired reservation of order ${orderId} decided` },
    ))!;
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
    context.setGlobalContextManager(new AsyncLocalContextManager());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider({ getTracer: () => recordingTracer });
    copyFileSync(join(__dirname, '../../../flags/traceshop.flagd.json'), flagsFile);
    [db, vhost, payment] = await Promise.all([createTestDatabase(runId), createTestVhost(runId), startPaymentStandIn()]);
    Object.assign(process.env, {
      PORT: '0',
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `${runId}:`,
      AMQP_URL: vhost.url,
      FLAGS_FILE: flagsFile,
      LOG_LEVEL: 'silent',
      // Reservations expire after a second and are looked for ten times a second; the payment
      // stand-in says `unknown` (keep) for every order but those a test gives an answer.
      PAYMENT_URL: payment.url,
      RESERVATION_TTL_SECONDS: '1',
      RESERVATION_SWEEP_INTERVAL_MS: '100',
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
    await payment?.close();
    await pg?.end();
    await redis?.quit();
    await dropTestKeys(`${runId}:`);
    await Promise.all([db?.drop(), vhost?.drop()]);
    rmSync(flagsDir, { recursive: true, force: true });
    trace.disable();
    propagation.disable();
    context.disable();
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
    const consumer = app.get(OrderEventsController);
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

  it('keeps the trace context of the checkout with the reservation', async () => {
    const orderId = randomUUID();
    expect((await api.post('/reservations', { orderId, items: [{ sku: 'SKU-MUG-001', quantity: 1 }] })).status).toBe(201);
    const reserve = spans.find((s) => s.name === 'inventory.reserve' && s.attributes['traceshop.order.id'] === orderId)!;
    const { traceId, spanId } = reserve.spanContext();
    const { rows } = await pg.query('SELECT trace_context FROM reservations WHERE order_id = $1', [orderId]);
    expect(rows[0].trace_context).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
  });

  it('answers a repeated reservation with its current status, released included', async () => {
    const orderId = randomUUID();
    const items = [{ sku: 'SKU-CAP-001', quantity: 2 }];
    const first = await api.post('/reservations', { orderId, items });
    await app.get(OrderEventsController).handle({ ...event(orderId, items), status: 'declined' }, ORDER_DECLINED);
    const again = await api.post('/reservations', { orderId, items });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, status: 'released' });
    expect(await reservationOf(orderId)).toBe('released'); // not reserved a second time
  });

  it('expires held reservations: releases declined or voided ones (voided: payment never saw the order), keeps paid ones', async () => {
    const sku = `SKU-EXPIRE-${runId}`;
    await pg.query(`INSERT INTO products (sku, name, price_cents) VALUES ($1, 'Expiring Item', 100)`, [sku]);
    await pg.query(`INSERT INTO stock (sku, on_hand) VALUES ($1, 10)`, [sku]);
    const [neverSeen, declined, voided, paid] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    payment.answers.set(neverSeen, 'voided').set(declined, 'declined').set(voided, 'voided').set(paid, 'approved');
    const reservations = new Map<string, string>();
    for (const orderId of [neverSeen, declined, voided, paid]) {
      const res = await api.post('/reservations', { orderId, items: [{ sku, quantity: 2 }] });
      expect(res.status).toBe(201);
      reservations.set(orderId, res.body.reservationId);
    }
    expect(await stockOf(sku)).toEqual({ onHand: 10, reserved: 8 });

    const released = [neverSeen, declined, voided];
    await waitFor(() => Promise.all(released.map(reservationOf)), (s) => s.every((status) => status === 'released'), {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: 'the unpaid reservations released',
    });
    await decided(paid);
    expect(payment.asked).toContain(paid);
    expect(await reservationOf(paid)).toBe('held');
    expect(await stockOf(sku)).toEqual({ onHand: 10, reserved: 2 });
    expect((await api.get('/products')).body).toContainEqual(expect.objectContaining({ sku, available: 8 }));

    // Each decision is a trace of its own, linked to the checkout that reserved.
    for (const [orderId, decision] of [...released.map((id) => [id, 'released']), [paid, 'kept_paid']]) {
      const expiry = spans.find((s) => s.name === 'inventory.expire_reservation' && s.attributes['traceshop.order.id'] === orderId);
      expect(expiry).toBeDefined();
      expect(expiry!.parent).toBeUndefined();
      expect(expiry!.attributes).toMatchObject({ 'traceshop.reservation.id': reservations.get(orderId), 'traceshop.reservation.decision': decision });
      const { rows } = await pg.query('SELECT trace_context FROM reservations WHERE order_id = $1', [orderId]);
      const [, traceId, spanId] = (rows[0].trace_context.traceparent as string).split('-');
      expect(expiry!.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([[traceId, spanId]]);
      expect(expiry!.spanContext().traceId).not.toBe(traceId);
    }
  }, 20_000);

  it('keeps an expired reservation while the outcome is unknown, or payment unreachable', async () => {
    const orderId = randomUUID(); // the stand-in answers unknown
    expect((await api.post('/reservations', { orderId, items: [{ sku: 'SKU-SOCKS-001', quantity: 1 }] })).status).toBe(201);
    const expiry = await decided(orderId);
    expect(expiry.attributes).toMatchObject({ 'traceshop.payment.status': 'unknown', 'traceshop.reservation.decision': 'kept_unknown' });
    expect(await reservationOf(orderId)).toBe('held');

    // The same while payment cannot be reached at all.
    const unreachable = randomUUID();
    await payment.close();
    expect((await api.post('/reservations', { orderId: unreachable, items: [{ sku: 'SKU-SOCKS-001', quantity: 1 }] })).status).toBe(201);
    const kept = await decided(unreachable);
    expect(kept.attributes).toMatchObject({ 'traceshop.payment.status': 'unreachable', 'traceshop.reservation.decision': 'kept_unknown' });
    expect(await reservationOf(unreachable)).toBe('held');
  }, 20_000);

  it('logs order.confirmed for a reservation that is not held as an error, without dead-lettering it', async () => {
    const [releasedOrder, committedOrder] = [randomUUID(), randomUUID()];
    const items = [{ sku: 'SKU-BOTTLE-001', quantity: 1 }];
    const consumer = app.get(OrderEventsController);
    for (const orderId of [releasedOrder, committedOrder]) expect((await api.post('/reservations', { orderId, items })).status).toBe(201);
    await consumer.handle({ ...event(releasedOrder, items), status: 'declined' }, ORDER_DECLINED);
    await consumer.handle(event(committedOrder, items), ORDER_CONFIRMED);

    const errors = jest.spyOn(Logger.prototype, 'error');
    try {
      await expect(consumer.handle(event(releasedOrder, items), ORDER_CONFIRMED)).resolves.toBeUndefined();
      expect(errors).toHaveBeenCalledWith(`order.confirmed for order ${releasedOrder}: reservation released, a paid order whose stock was not committed`);
      expect(await reservationOf(releasedOrder)).toBe('released');
      // A redelivered confirmation of a committed order is no error.
      errors.mockClear();
      await consumer.handle(event(committedOrder, items), ORDER_CONFIRMED);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  // The three inventory faults with their fixes: the fault stays on, the fix removes its signature.
  describe('fixes', () => {
    let switched: ScenarioName | undefined;
    /** Sets a fault and its fix in this app's flag file, and waits until the app evaluates both so. */
    async function switchTo(scenario: ScenarioName, fault: boolean, fix: boolean) {
      switched = scenario;
      setScenarios(flagsFile, [scenario], fault);
      setFix(flagsFile, scenario, fix);
      const flags = app.get(Flags);
      await waitFor(() => Promise.all([flags.isOn(scenario), flags.fixOn(scenario)]), ([f, x]) => f === fault && x === fix, {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: `${scenario} ${fault ? 'on' : 'off'}, its fix ${fix ? 'on' : 'off'}`,
      });
    }
    afterEach(async () => {
      switchAllOff(flagsFile);
      if (switched) await switchTo(switched, false, false);
    });

    /** The statements inventory sends through its pool while `run` runs (the real pool, watched, not replaced). */
    async function statementsOf<T>(run: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
      const query = jest.spyOn(app.get<Pool>(PG_POOL), 'query');
      try {
        const result = await run();
        return { result, sql: (query.mock.calls as unknown as [string | { text: string }][]).map(([q]) => (typeof q === 'string' ? q : q.text)) };
      } finally {
        query.mockRestore();
      }
    }

    it('n-plus-one: the fix loads the products in one batched query instead of one per product', async () => {
      const repository = app.get(InventoryRepository);
      const catalogue = await repository.products(); // one query, all off
      const catalogueSql = (sql: string[]) => sql.filter((q) => /FROM products/.test(q));

      await switchTo(SCENARIOS.nPlusOne, true, false);
      const ladder = await statementsOf(() => repository.products());
      expect(ladder.result).toEqual(catalogue);
      expect(catalogueSql(ladder.sql).filter((q) => q.endsWith('WHERE p.sku = $1'))).toHaveLength(catalogue.length);

      await switchTo(SCENARIOS.nPlusOne, true, true);
      const batched = await statementsOf(() => repository.products());
      expect(batched.result).toEqual(catalogue);
      expect(catalogueSql(batched.sql)).toEqual(['SELECT sku FROM products ORDER BY sku', expect.stringMatching(/WHERE p\.sku = ANY\(\$1\) ORDER BY p\.sku$/)]);

      // The batch leaves unknown skus out and answers in sku order.
      expect((await repository.productsOf(['SKU-MUG-001', 'SKU-NOPE', 'SKU-CAP-001'])).map((p) => p.sku)).toEqual(['SKU-CAP-001', 'SKU-MUG-001']);
    });

    it('lock-contention: with the fix, a reservation goes through while the hot counter row is held', async () => {
      const lockWaits = async () =>
        (await pg.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n as number;
      const numbersTaken = async () => (await pg.query(`SELECT coalesce(pg_sequence_last_value('reservation_numbers'), 0)::int AS n`)).rows[0].n as number;
      const reserve = () => api.post('/reservations', { orderId: randomUUID(), items: [{ sku: 'SKU-TEE-001', quantity: 1 }] });
      const holder = await pg.connect(); // plays a reservation that has the counter row and has not committed yet
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT value FROM counters WHERE name = 'reservations' FOR UPDATE`);

        // The fault: the next reservation waits for that row.
        await switchTo(SCENARIOS.lockContention, true, false);
        const queued = reserve();
        await waitFor(lockWaits, (n) => n === 1, { timeoutMs: 5000, intervalMs: 10, what: 'a reservation waiting for the counter row' });

        // The fix: with the row still held, a reservation completes, numbered by the sequence.
        await switchTo(SCENARIOS.lockContention, true, true);
        const before = await numbersTaken();
        expect((await reserve()).status).toBe(201);
        expect(await numbersTaken()).toBe(before + 1);
        expect(await lockWaits()).toBe(1); // the one from before the fix, still in line

        await holder.query('COMMIT');
        expect((await queued).status).toBe(201);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined); // only matters when a step failed
        holder.release();
      }
    });

    it('cache-stampede: with the fix, a burst of reads loads the list from Postgres once and writes it back', async () => {
      const service = app.get(InventoryService);
      /** Six reads at the same moment, each in a span of its own, as six requests would be. */
      const burst = () =>
        Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            recordingTracer.startActiveSpan(`read ${i}`, async (span: Span) => ({ products: await service.products(), attributes: (span as RecordedSpan).attributes })),
          ),
        );
      const listQueries = (sql: string[]) => sql.filter((q) => /FROM products p JOIN stock s USING \(sku\) ORDER BY p\.sku/.test(q));
      const key = `${runId}:products`;

      // The fault: every read misses and asks Postgres; nothing is written.
      await switchTo(SCENARIOS.cacheStampede, true, false);
      await redis.del(key);
      const stampede = await statementsOf(burst);
      expect(listQueries(stampede.sql)).toHaveLength(6);
      expect(await redis.exists(key)).toBe(0);

      // The fix: one read for the burst (the others wait for it), and the list written back.
      await switchTo(SCENARIOS.cacheStampede, true, true);
      const fixed = await statementsOf(burst);
      expect(listQueries(fixed.sql)).toHaveLength(1);
      expect(fixed.result.map((r) => r.attributes['traceshop.cache.coalesced']).sort()).toEqual([false, true, true, true, true, true]);
      expect(fixed.result.map((r) => r.attributes['traceshop.cache.hit'])).toEqual(Array(6).fill(false));
      expect(fixed.result.map((r) => r.products)).toEqual(Array(6).fill(stampede.result[0].products));
      expect(await redis.ttl(key)).toBeGreaterThan(0); // written, though the fault is still on

      // So the next burst is served by Redis.
      const next = await statementsOf(burst);
      expect(listQueries(next.sql)).toEqual([]);
      expect(next.result.map((r) => r.attributes['traceshop.cache.hit'])).toEqual(Array(6).fill(true));
    });
  });
});
