import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { ChargeRequest, PAYMENT_REQUESTS_QUEUE, PaymentReply, PaymentRequest } from '@traceshop/contracts';
import { createApp } from '@traceshop/platform';
import { createTestDatabase, createTestVhost, JsonClient, jsonClient, newRunId, startStandIn, waitFor } from '@traceshop/testing';
import { connect } from 'amqplib';
import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { FraudHistoryRepository } from './fraud-history.repository';
import { PaymentsRepository } from './payments.repository';

type ProviderMode = 'normal' | 'failing' | 'hanging';

/**
 * The external card processor's HTTP contract, played by a few lines of node:http (apps never
 * import each other): 201 approved, 402 for the decline test card; `POST /charges/lookup` answers
 * a key's charge, or voids a key it never charged (a later charge with it gets 409). Failing
 * answers 500 and charges nothing; hanging never answers, though a charge is made (what a
 * timeout may hide). It records every charge and lookup, so a test can count them per order.
 */
async function startProviderStandIn() {
  const calls: { idempotencyKey: string; body: ChargeRequest }[] = [];
  const lookups: string[] = [];
  const charged = new Map<string, { status: number; payload: object }>();
  const voided = new Set<string>();
  const stub = { mode: 'normal' as ProviderMode, calls, lookups };
  const { url, close } = await startStandIn((req, res, raw) => {
    const idempotencyKey = String(req.headers['idempotency-key']);
    const answer = (status: number, payload: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    if (req.method === 'POST' && req.url === '/charges/lookup') {
      lookups.push(idempotencyKey);
      if (stub.mode === 'hanging') return;
      if (stub.mode === 'failing') return answer(500, { error: 'sandbox down' });
      if (!charged.has(idempotencyKey)) voided.add(idempotencyKey);
      return answer(200, charged.get(idempotencyKey)?.payload ?? { status: 'voided' });
    }
    if (req.method !== 'POST' || req.url !== '/charges') return answer(404, {});
    const body = JSON.parse(raw) as ChargeRequest;
    calls.push({ idempotencyKey, body });
    if (stub.mode === 'failing') return answer(500, { error: 'sandbox down' });
    if (voided.has(idempotencyKey)) return answer(409, { statusCode: 409, error: 'Conflict', message: 'Idempotency-Key was voided by a lookup; nothing was charged' });
    // Like the real provider, the same key always gives the same charge.
    const chargeId = `ch_${idempotencyKey}`;
    const decision =
      body.cardNumber === '4000000000000002'
        ? { status: 402, payload: { chargeId, status: 'declined', declineCode: 'card_declined' } }
        : { status: 201, payload: { chargeId, status: 'approved' } };
    charged.set(idempotencyKey, decision);
    if (stub.mode === 'hanging') return;
    answer(decision.status, decision.payload);
  });
  return Object.assign(stub, { url, close });
}

/** The gateway's side of the queue: request/reply over RabbitMQ's direct reply-to. */
async function startAmqpClient(url: string) {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  const waiting = new Map<string, (reply: PaymentReply) => void>();
  await channel.consume('amq.rabbitmq.reply-to', (msg) => msg && waiting.get(msg.properties.correlationId)?.(JSON.parse(msg.content.toString())), { noAck: true });
  return {
    channel,
    close: () => connection.close(),
    request: (body: PaymentRequest) =>
      new Promise<PaymentReply>((resolve) => {
        const correlationId = randomUUID();
        waiting.set(correlationId, resolve);
        channel.sendToQueue(PAYMENT_REQUESTS_QUEUE, Buffer.from(JSON.stringify(body)), { replyTo: 'amq.rabbitmq.reply-to', correlationId });
      }),
  };
}

// Runs the payment service in-process against the real Postgres and RabbitMQ (its own database
// and vhost, removed afterwards) and a stand-in for the external provider.
describe('payment service', () => {
  const runId = newRunId();
  const userId = randomUUID();
  const expYear = new Date().getUTCFullYear() + 2;
  const paymentFor = (cardNumber: string, orderId = randomUUID()): PaymentRequest => ({
    orderId, userId, amountCents: 4200, currency: 'EUR', card: { cardNumber, expMonth: 12, expYear, cvc: '123' },
  });
  const chargesOf = (orderId: string) => provider.calls.filter((c) => c.idempotencyKey === orderId);
  const reconcile = (orderId: string) => api.post(`/payments/${orderId}/reconcile`);
  const rowOf = async (orderId: string) => (await pg.query('SELECT * FROM payment.payments WHERE order_id = $1', [orderId])).rows[0];
  /** A payment left pending, as when payment stopped after claiming it, maybe after charging. */
  const insertPending = (request: PaymentRequest) =>
    pg.query(
      `INSERT INTO payment.payments (order_id, user_id, amount_cents, currency, card_last4, card_fingerprint) VALUES ($1, $2, $3, $4, $5, $6)`,
      [request.orderId, userId, request.amountCents, request.currency, request.card.cardNumber.slice(-4), createHash('sha256').update(request.card.cardNumber).digest('hex')],
    );
  /** What payment itself would send the provider for this request. */
  const chargeAtProvider = (request: PaymentRequest) =>
    fetch(`${provider.url}/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': request.orderId },
      body: JSON.stringify({ amountCents: request.amountCents, currency: request.currency, ...request.card, reference: request.orderId }),
    });
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let provider: Awaited<ReturnType<typeof startProviderStandIn>>;
  let app: INestApplication;
  let api: JsonClient;
  let amqp: Awaited<ReturnType<typeof startAmqpClient>>;
  let pg: Client;

  beforeAll(async () => {
    [db, vhost, provider] = await Promise.all([createTestDatabase(runId), createTestVhost(runId), startProviderStandIn()]);
    Object.assign(process.env, {
      PORT: '0',
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      PAYMENT_PROVIDER_URL: provider.url,
      PROVIDER_TIMEOUT_MS: '500',
      FRAUD_MAX_CARD_PAYMENTS_24H: '3',
      // Enough card history for the planner to prefer the slow-checkout lab's index, once it exists.
      FRAUD_HISTORY_ROWS: '20000',
      FLAGS_FILE: join(__dirname, '../../../flags/traceshop.flagd.json'),
      LOG_LEVEL: 'silent',
    });
    const { AppModule } = await import('./app.module'); // reads its configuration on import
    app = await createApp(AppModule);
    await app.listen(0);
    api = jsonClient(await app.getUrl());
    amqp = await startAmqpClient(vhost.url); // after the app, which declares the queues
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  }, 60_000);

  afterAll(async () => {
    await amqp?.close();
    await pg?.end();
    await app?.close();
    await provider?.close();
    await vhost?.drop();
    await db?.drop();
  });

  it('approves a payment, charging the provider with the order id as Idempotency-Key', async () => {
    const request = paymentFor('4242424242424242');
    const reply = await amqp.request(request);
    expect(reply).toEqual({ orderId: request.orderId, paymentId: expect.any(String), status: 'approved' });
    expect(chargesOf(request.orderId)).toEqual([
      { idempotencyKey: request.orderId, body: { amountCents: 4200, currency: 'EUR', ...request.card, reference: request.orderId } },
    ]);

    const view = await api.get(`/payments/${request.orderId}`);
    expect(view.status).toBe(200);
    expect(view.body).toEqual({ orderId: request.orderId, status: 'approved', amountCents: 4200, cardLast4: '4242' });
    const { rows } = await pg.query('SELECT * FROM payment.payments WHERE order_id = $1', [request.orderId]);
    expect(rows[0]).toMatchObject({
      id: reply.paymentId,
      user_id: userId,
      card_last4: '4242',
      card_fingerprint: createHash('sha256').update('4242424242424242').digest('hex'),
      provider_charge_id: `ch_${request.orderId}`,
      decline_code: null,
    });
  });

  it('declines what the provider declines', async () => {
    const request = paymentFor('4000000000000002');
    expect(await amqp.request(request)).toEqual({ orderId: request.orderId, paymentId: expect.any(String), status: 'declined', reason: 'card_declined' });
    expect((await api.get(`/payments/${request.orderId}`)).body).toMatchObject({ status: 'declined', cardLast4: '0002' });
  });

  it('charges an order once, however often its request is delivered', async () => {
    for (const cardNumber of ['4242424242424242', '4000000000000002']) {
      const request = paymentFor(cardNumber);
      const first = await amqp.request(request);
      const again = await amqp.request(request);
      expect(again).toEqual(first);
      expect(chargesOf(request.orderId)).toHaveLength(1);
    }
  });

  it('declines a mistyped or expired card without calling the provider', async () => {
    const mistyped = paymentFor('4242424242424241');
    const expired = { ...paymentFor('4242424242424242'), card: { cardNumber: '4242424242424242', expMonth: 1, expYear: 2020, cvc: '123' } };
    expect(await amqp.request(mistyped)).toMatchObject({ status: 'declined', reason: 'invalid_number' });
    expect(await amqp.request(expired)).toMatchObject({ status: 'declined', reason: 'expired_card' });
    expect([...chargesOf(mistyped.orderId), ...chargesOf(expired.orderId)]).toEqual([]);
  });

  it('declines a card used for more payments in a day than the fraud check allows', async () => {
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await amqp.request(paymentFor('5555555555554444')));
    expect(replies.map((r) => r.status)).toEqual(['approved', 'approved', 'approved', 'declined']);
    expect(replies[3].reason).toBe('suspected_fraud');
    expect(chargesOf(replies[3].orderId)).toEqual([]);
  });

  it('replies error when the provider fails or is too slow, and a retry of the order charges it once', async () => {
    const failed = paymentFor('4000056655665556');
    const slow = paymentFor('4000056655665556');
    try {
      provider.mode = 'failing';
      expect(await amqp.request(failed)).toEqual({ orderId: failed.orderId, paymentId: expect.any(String), status: 'error', reason: 'payment-provider failed' });
      provider.mode = 'hanging';
      // The reasons are ServiceClient's one mapping (libs/platform): a 5xx is `failed`, a timeout `did
      // not answer in time`. payment only reports them: the outcome stays unknown, never an HTTP answer.
      expect(await amqp.request(slow)).toMatchObject({ status: 'error', reason: 'payment-provider did not answer in time' });
    } finally {
      provider.mode = 'normal';
    }
    expect((await api.get(`/payments/${failed.orderId}`)).body.status).toBe('error');

    // An error is not final: the outcome at the provider is unknown, so the same order is asked
    // again, with the same Idempotency-Key, and the same payment row is settled.
    const first = await amqp.request(failed);
    const retried = await amqp.request(failed);
    expect(first).toMatchObject({ status: 'approved', paymentId: retried.paymentId });
    expect(retried).toEqual(first);
    expect(chargesOf(failed.orderId).map((c) => c.idempotencyKey)).toEqual([failed.orderId, failed.orderId]);
  });

  it('reconciles an order it never saw as voided, and a request for it arriving later charges nothing', async () => {
    const request = paymentFor('6011111111111117');
    const outcome = await reconcile(request.orderId);
    expect(outcome.status).toBe(200);
    expect(outcome.body).toEqual({ orderId: request.orderId, status: 'voided' });
    // No payment row means no charge was ever sent (the row is claimed first): nothing to ask.
    expect(provider.lookups).not.toContain(request.orderId);
    expect((await api.get(`/payments/${request.orderId}`)).body).toEqual({ orderId: request.orderId, status: 'voided', amountCents: null, cardLast4: null });

    const late = await amqp.request(request);
    expect(late).toEqual({ orderId: request.orderId, paymentId: expect.any(String), status: 'voided' });
    expect(chargesOf(request.orderId)).toEqual([]);
    expect((await reconcile(request.orderId)).body).toEqual({ orderId: request.orderId, status: 'voided' });
    expect(await rowOf(request.orderId)).toMatchObject({ status: 'voided', user_id: null, card_fingerprint: null });
  });

  it('reconciles a pending or error payment by asking the provider with the same Idempotency-Key', async () => {
    // error: the charge timed out, but the provider did charge.
    const timedOut = paymentFor('5200828282828210');
    provider.mode = 'hanging';
    try {
      expect(await amqp.request(timedOut)).toMatchObject({ status: 'error' });
    } finally {
      provider.mode = 'normal';
    }
    expect((await reconcile(timedOut.orderId)).body).toEqual({ orderId: timedOut.orderId, status: 'approved' });
    expect(provider.lookups).toContain(timedOut.orderId);
    expect(await rowOf(timedOut.orderId)).toMatchObject({ status: 'approved', provider_charge_id: `ch_${timedOut.orderId}` });
    // From now on the payment is settled: a redelivered request is answered from the row.
    expect(await amqp.request(timedOut)).toMatchObject({ status: 'approved' });
    expect(chargesOf(timedOut.orderId)).toHaveLength(1);

    // pending, and the provider declined the charge payment sent before it stopped.
    const declined = paymentFor('4000000000000002');
    await insertPending(declined);
    expect((await chargeAtProvider(declined)).status).toBe(402);
    expect((await reconcile(declined.orderId)).body).toEqual({ orderId: declined.orderId, status: 'declined', reason: 'card_declined' });
    expect(await rowOf(declined.orderId)).toMatchObject({ status: 'declined', provider_charge_id: `ch_${declined.orderId}`, decline_code: 'card_declined' });

    // pending, and the charge never reached the provider: voided there and here.
    const neverSent = paymentFor('5105105105105100');
    await insertPending(neverSent);
    expect((await reconcile(neverSent.orderId)).body).toEqual({ orderId: neverSent.orderId, status: 'voided' });
    expect(await amqp.request(neverSent)).toMatchObject({ status: 'voided' });
    expect(chargesOf(neverSent.orderId)).toEqual([]);
  });

  it('answers unknown and changes nothing while the provider cannot be asked', async () => {
    const request = paymentFor('3566002020360505');
    provider.mode = 'failing';
    try {
      expect(await amqp.request(request)).toMatchObject({ status: 'error' });
      const before = await rowOf(request.orderId);
      const failing = await reconcile(request.orderId);
      expect(failing.status).toBe(200);
      expect(failing.body).toEqual({ orderId: request.orderId, status: 'unknown', reason: 'payment-provider failed' });
      provider.mode = 'hanging';
      expect((await reconcile(request.orderId)).body).toEqual({ orderId: request.orderId, status: 'unknown', reason: 'payment-provider did not answer in time' });
      expect(await rowOf(request.orderId)).toEqual(before);
    } finally {
      provider.mode = 'normal';
    }
    // Once the provider answers: the failed attempt charged nothing, so the order is voided.
    expect((await reconcile(request.orderId)).body).toEqual({ orderId: request.orderId, status: 'voided' });
    expect(provider.lookups.filter((k) => k === request.orderId)).toHaveLength(3);
  });

  it('voids, never approves, a charge the provider refuses because a lookup voided its key first', async () => {
    const request = paymentFor('6200000000000005');
    // The order was reconciled at the provider (by its key) while the request was still queued.
    await fetch(`${provider.url}/charges/lookup`, { method: 'POST', headers: { 'idempotency-key': request.orderId } });
    expect(await amqp.request(request)).toEqual({ orderId: request.orderId, paymentId: expect.any(String), status: 'voided' });
    expect(chargesOf(request.orderId)).toHaveLength(1); // asked, refused with 409
    expect((await api.get(`/payments/${request.orderId}`)).body).toEqual({ orderId: request.orderId, status: 'voided', amountCents: 4200, cardLast4: '0005' });
  });

  it('never overwrites a voided payment', async () => {
    const tombstone = paymentFor('4242424242424242');
    await reconcile(tombstone.orderId);
    const refused = paymentFor('6200000000000005');
    await fetch(`${provider.url}/charges/lookup`, { method: 'POST', headers: { 'idempotency-key': refused.orderId } });
    await amqp.request(refused);
    const repository = app.get(PaymentsRepository);
    for (const { orderId } of [tombstone, refused]) {
      const { id } = await rowOf(orderId);
      expect(await repository.settle(id, 'approved', 'ch_late')).toMatchObject({ status: 'voided' });
      expect(await repository.settle(id, 'error')).toMatchObject({ status: 'voided' });
      expect(await rowOf(orderId)).toMatchObject({ status: 'voided', provider_charge_id: null });
      const lookups = provider.lookups.length;
      expect((await reconcile(orderId)).body).toEqual({ orderId, status: 'voided' });
      expect(provider.lookups).toHaveLength(lookups); // final: the provider is not asked again
    }
    expect((await api.post('/payments/not-a-uuid/reconcile')).status).toBe(400);
  });

  it('dead-letters a request that is not a valid payment request', async () => {
    const orderId = randomUUID();
    const invalid = [{ ...paymentFor('4242424242424242', orderId), amountCents: -1 }, { orderId: 'nope' }, 'not json'];
    for (const body of invalid) {
      amqp.channel.sendToQueue(PAYMENT_REQUESTS_QUEUE, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
    }
    const deadLetters: string[] = [];
    await waitFor(
      async () => {
        const msg = await amqp.channel.get(`${PAYMENT_REQUESTS_QUEUE}.dlq`, { noAck: true });
        if (msg) deadLetters.push(msg.content.toString());
        return deadLetters.length;
      },
      (n) => n === invalid.length,
      { timeoutMs: 10_000, intervalMs: 50, what: 'the invalid requests in payment.requests.dlq' },
    );
    expect(deadLetters.sort()).toEqual(invalid.map((b) => (typeof b === 'string' ? b : JSON.stringify(b))).sort());
    expect((await api.get(`/payments/${orderId}`)).status).toBe(404);
  });

  it('never stores a card number or a CVC', async () => {
    const { rows } = await pg.query<{ row: Record<string, unknown> }>('SELECT row_to_json(p) AS row FROM payment.payments p');
    expect(rows.length).toBeGreaterThan(5);
    const text = JSON.stringify(rows);
    const cards = ['4242424242424242', '4000000000000002', '5555555555554444', '4000056655665556', '5200828282828210', '5105105105105100', '3566002020360505', '6200000000000005'];
    for (const card of cards) expect(text).not.toContain(card);
    expect(Object.keys(rows[0].row).sort()).toEqual([
      'amount_cents', 'card_fingerprint', 'card_last4', 'created_at', 'currency', 'decline_code', 'id', 'order_id',
      'provider_charge_id', 'status', 'updated_at', 'user_id',
    ]);
  });

  it('answers 404 for an unknown order, 400 for a malformed id, and reports ready', async () => {
    expect((await api.get(`/payments/${randomUUID()}`)).status).toBe(404);
    expect((await api.get('/payments/not-a-uuid')).status).toBe(400);
    const ready = await api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({ postgres: { status: 'up' }, rabbitmq: { status: 'up' } });
  });
  it("counts a card's attempts and amounts per window of the velocity rule, from its own history only", async () => {
    const card = createHash('sha256').update(`card-${randomUUID()}`).digest('hex');
    const ages = ['30 minutes', '2 hours', '3 days', '20 days', '40 days', '100 days']; // the last one is outside every window
    for (const [i, age] of ages.entries()) {
      await pg.query(
        `INSERT INTO payment.fraud_history (card_fingerprint, amount_cents, country, recorded_at) VALUES ($1, $2, 'DE', now() - $3::interval)`,
        [card, 100 * (i + 1), age],
      );
    }
    const velocity = await app.get(FraudHistoryRepository).velocity(card);
    expect(velocity).toEqual([
      { window: '1h', attempts: 1, totalCents: 100 },
      { window: '24h', attempts: 2, totalCents: 300 },
      { window: '7d', attempts: 3, totalCents: 600 },
      { window: '30d', attempts: 4, totalCents: 1000 },
      { window: '90d', attempts: 5, totalCents: 1500 },
    ]);
  });

  it("has a velocity query that scans the whole archive until the slow-checkout lab's index exists", async () => {
    // The statements a person runs in docs/labs/slow-checkout.md, taken from the lab itself.
    const lab = readFileSync(join(__dirname, '../../../docs/labs/slow-checkout.md'), 'utf8');
    const [createIndex, dropIndex] = [/^CREATE INDEX .+;$/m, /^DROP INDEX .+;$/m].map((re) => re.exec(lab)?.[0]);
    expect(createIndex).toMatch(/ON payment\.fraud_history \(card_fingerprint/);
    const plan = async () => {
      await pg.query('SET search_path TO payment');
      const { rows } = await pg.query(`EXPLAIN ${FraudHistoryRepository.VELOCITY_SQL}`, [createHash('sha256').update('4242424242424242').digest('hex')]);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };

    expect(await plan()).toMatch(/Seq Scan on fraud_history/);
    await pg.query(createIndex!);
    try {
      const fixed = await plan();
      expect(fixed).toMatch(/Index (Only )?Scan .*fraud_history_card_recent/);
      expect(fixed).not.toMatch(/Seq Scan/);
    } finally {
      await pg.query(dropIndex!); // the lab's way back to the incident
    }
    expect(await plan()).toMatch(/Seq Scan on fraud_history/);
  });
});
