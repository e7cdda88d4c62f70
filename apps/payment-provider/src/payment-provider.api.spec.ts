import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '@traceshop/platform';
import { JsonClient, jsonClient, newRunId, setScenarios, waitFor } from '@traceshop/testing';
import { ChargesService } from './charges.service';

// Runs the provider stand-in in-process; it has no database, queue or cache to set up. Its flag
// file is a copy of the real one, so this file can switch a scenario without touching others.
describe('payment-provider API', () => {
  const flagsFile = join(tmpdir(), `traceshop-provider-flags-${newRunId()}.json`);
  const nextYear = new Date().getUTCFullYear() + 1;
  const charge = (over: Record<string, unknown> = {}) => ({
    amountCents: 4200, currency: 'EUR', cardNumber: '4242424242424242', expMonth: 12, expYear: nextYear, cvc: '123', reference: 'order-1', ...over,
  });
  let app: INestApplication;
  let url: string;
  let api: JsonClient;
  const key = () => ({ 'idempotency-key': newRunId() });

  beforeAll(async () => {
    copyFileSync(join(__dirname, '../../../flags/traceshop.flagd.json'), flagsFile);
    setScenarios(flagsFile, ['retry-storm'], false);
    // slow-checkout with 200 ms: every new charge takes that long, so a test can look one up
    // while it is still being decided.
    setScenarios(flagsFile, ['slow-checkout'], true);
    Object.assign(process.env, { PORT: '0', LOG_LEVEL: 'silent', PROVIDER_LATENCY_MS: '200', FLAGS_FILE: flagsFile });
    const { AppModule } = await import('./app.module'); // reads its configuration on import
    app = await createApp(AppModule);
    await app.listen(0);
    url = await app.getUrl();
    api = jsonClient(url);
  });

  afterAll(async () => {
    await app?.close();
    rmSync(flagsFile, { force: true });
  });

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

  it('looks a charge up by its Idempotency-Key, waiting for one still being decided', async () => {
    const approved = key();
    const charged = await api.post('/charges', charge(), approved);
    const found = await api.post('/charges/lookup', undefined, approved);
    expect(found.status).toBe(200);
    expect(found.body).toEqual(charged.body);
    expect(found.body).toEqual({ chargeId: expect.stringMatching(/^ch_/), status: 'approved' });

    const declined = key();
    const refused = await api.post('/charges', charge({ cardNumber: '4000000000000002' }), declined);
    expect((await api.post('/charges/lookup', undefined, declined)).body).toEqual({ ...refused.body, status: 'declined', declineCode: 'card_declined' });

    // Started in-process, so the charge is known before the lookup arrives; it is decided 200 ms later.
    const inFlight = key();
    const charging = app.get(ChargesService).charge(inFlight['idempotency-key'], charge());
    const whileCharging = await api.post('/charges/lookup', undefined, inFlight);
    expect(whileCharging.body).toEqual({ chargeId: expect.stringMatching(/^ch_/), status: 'approved' });
    expect(whileCharging.body).toEqual((await charging).body);
    // Waiting did not void the key: the charge stands, and repeating it gives the same charge.
    expect((await api.post('/charges', charge(), inFlight)).body).toEqual(whileCharging.body);
  });

  it('voids an unknown key, and then refuses to charge with it (409), so "not charged" stays true', async () => {
    const headers = key();
    const lookup = await api.post('/charges/lookup', undefined, headers);
    expect(lookup.status).toBe(200);
    expect(lookup.body).toEqual({ status: 'voided' });
    const late = await api.post('/charges', charge(), headers);
    expect(late.status).toBe(409);
    expect(late.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'Idempotency-Key was voided by a lookup; nothing was charged' });
    expect((await api.post('/charges/lookup', undefined, headers)).body).toEqual({ status: 'voided' });
    // Another key is untouched by it.
    expect((await api.post('/charges', charge(), key())).status).toBe(201);
    expect((await api.post('/charges/lookup')).status).toBe(400);
  });

  it('sheds load beyond two charge requests a second with 503 and Retry-After, counting the shed ones: a caller must stay away', async () => {
    setScenarios(flagsFile, ['retry-storm'], true);
    try {
      // The service follows the flag file within about a second; asked ten times a second, it sheds.
      const first = await waitFor(() => api.post('/charges', charge(), key()), (r) => r.status === 503, { timeoutMs: 10_000, intervalMs: 100, what: 'retry-storm on' });
      expect(first.headers.get('retry-after')).toBe('1');
      expect(first.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'the processor is overloaded, try again later' });
      // Retrying at once is shed again, however often: every attempt is more load on it.
      const shed = key();
      const atOnce = [];
      for (let i = 0; i < 5; i++) atOnce.push((await api.post('/charges', charge(), shed)).status);
      expect(atOnce).toEqual([503, 503, 503, 503, 503]);
      // A shed request charged nothing: a lookup voids the key, and the key is refused from then on.
      expect((await api.post('/charges/lookup', undefined, shed)).body).toEqual({ status: 'voided' });
      // A caller that waits as Retry-After says gets in (one request per 1.1 s stays under capacity).
      const patient = key();
      const admitted = (r: { status: number }) => r.status !== 503;
      const paced = { timeoutMs: 10_000, intervalMs: 1_100, what: 'a charge admitted' };
      expect((await waitFor(() => api.post('/charges', charge(), patient), admitted, paced)).status).toBe(201);
      expect((await waitFor(() => api.post('/charges', charge(), shed), admitted, paced)).status).toBe(409);
    } finally {
      setScenarios(flagsFile, ['retry-storm'], false);
    }
    await waitFor(async () => (await api.post('/charges', charge(), key())).status, (s) => s === 201, { timeoutMs: 10_000, intervalMs: 100, what: 'retry-storm off' });
  }, 40_000);

  it('answers the health probes', async () => {
    expect((await api.get('/health/live')).status).toBe(200);
    expect((await api.get('/health/ready')).body).toMatchObject({ status: 'ok' });
  });
});
