import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '@traceshop/platform';
import { JsonClient, jsonClient, newRunId } from '@traceshop/testing';

// Runs the provider stand-in in-process; it has no database, queue or cache to set up.
describe('payment-provider API', () => {
  const nextYear = new Date().getUTCFullYear() + 1;
  const charge = (over: Record<string, unknown> = {}) => ({
    amountCents: 4200, currency: 'EUR', cardNumber: '4242424242424242', expMonth: 12, expYear: nextYear, cvc: '123', reference: 'order-1', ...over,
  });
  let app: INestApplication;
  let url: string;
  let api: JsonClient;
  const key = () => ({ 'idempotency-key': newRunId() });

  beforeAll(async () => {
    Object.assign(process.env, { PORT: '0', LOG_LEVEL: 'silent', FLAGS_FILE: join(__dirname, '../../../flags/traceshop.flagd.json') });
    const { AppModule } = await import('./app.module'); // reads its configuration on import
    app = await createApp(AppModule);
    await app.listen(0);
    url = await app.getUrl();
    api = jsonClient(url);
  });

  afterAll(() => app?.close());

  it('approves the 4242 test card and any other valid card', async () => {
    for (const cardNumber of ['4242424242424242', '5555555555554444']) {
      const res = await api.post('/charges', charge({ cardNumber }), key());
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ chargeId: expect.stringMatching(/^ch_/), status: 'approved' });
    }
  });

  it('declines the 4000000000000002 test card with 402', async () => {
    const res = await api.post('/charges', charge({ cardNumber: '4000000000000002' }), key());
    expect(res.status).toBe(402);
    expect(res.body).toEqual({ chargeId: expect.stringMatching(/^ch_/), status: 'declined', declineCode: 'card_declined' });
  });

  it('answers a repeated Idempotency-Key with the first result', async () => {
    const headers = key();
    const [first, again] = [await api.post('/charges', charge(), headers), await api.post('/charges', charge(), headers)];
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const declined = { 'idempotency-key': `d-${newRunId()}` };
    const body = charge({ cardNumber: '4000000000000002' });
    const [d1, d2] = await Promise.all([api.post('/charges', body, declined), api.post('/charges', body, declined)]);
    expect([d1.status, d2.status]).toEqual([402, 402]);
    expect(d2.body.chargeId).toBe(d1.body.chargeId);
    // The same key for another request is the caller's bug, not a replay.
    expect((await api.post('/charges', charge({ amountCents: 1 }), headers)).status).toBe(422);
  });

  it('refuses bad requests with 400 and never echoes the card number', async () => {
    const lastMonth = new Date();
    lastMonth.setUTCDate(1);
    lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
    const bad = [
      charge({ cardNumber: '4242424242424241' }), // fails Luhn
      charge({ expYear: 2020 }),
      charge({ expMonth: lastMonth.getUTCMonth() + 1, expYear: lastMonth.getUTCFullYear() }),
      charge({ expMonth: 13 }),
      charge({ cvc: '12' }),
      charge({ amountCents: 0 }),
      charge({ currency: 'euro' }),
      charge({ cardNumber: 4242424242424242 }),
      charge({ extra: 'field' }),
    ];
    for (const body of bad) {
      const res = await api.post('/charges', body, key());
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(JSON.stringify(res.body)).not.toMatch(/424242424242424/);
    }
    const malformed = await fetch(`${url}/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...key() },
      body: '{"amountCents":',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const noKey = await api.post('/charges', charge());
    expect(noKey.status).toBe(400);
    expect(noKey.body.message).toMatch(/Idempotency-Key/);
  });

  it('answers the health probes', async () => {
    expect((await api.get('/health/live')).status).toBe(200);
    expect((await api.get('/health/ready')).body).toMatchObject({ status: 'ok' });
  });
});
