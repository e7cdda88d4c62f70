import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ChargeRequest, SCENARIOS } from '@traceshop/contracts';
import { Flags } from '@traceshop/platform';
import { newRunId, setFix, setScenarios, waitFor } from '@traceshop/testing';
import { ProviderClient } from './provider.client';

/**
 * A provider that sheds load like a real one: 503 with `Retry-After: <retryAfterS>` for the first
 * `shed` requests of each key (always, when `shed` is Infinity), and again for any request of a
 * key that comes back sooner than it was told to. It counts every request per key.
 */
async function startSheddingProvider() {
  const calls = new Map<string, number>();
  const notBefore = new Map<string, number>();
  const provider = { shed: 1, retryAfterS: 0, status: 503, calls, url: '', server: undefined as Server | undefined };
  provider.server = createServer((req, res) => {
    req.resume().on('end', () => {
      const key = String(req.headers['idempotency-key']);
      const n = (calls.get(key) ?? 0) + 1;
      calls.set(key, n);
      if (n <= provider.shed || Date.now() < (notBefore.get(key) ?? 0)) {
        notBefore.set(key, Date.now() + provider.retryAfterS * 1_000);
        return res.writeHead(provider.status, { 'content-type': 'application/json', 'retry-after': String(provider.retryAfterS) }).end('{"statusCode":503}');
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ chargeId: `ch_${key}`, status: 'approved' }));
    });
  });
  await new Promise<void>((resolve) => provider.server!.listen(0, '127.0.0.1', resolve));
  provider.url = `http://127.0.0.1:${(provider.server.address() as AddressInfo).port}`;
  return provider;
}

// The provider client's retry policies, against a real HTTP server that sheds load: the
// retry-storm scenario's naive loop, and its fix (backoff with jitter, Retry-After, a budget).
describe('ProviderClient retries', () => {
  const flagsFile = join(tmpdir(), `traceshop-payment-flags-${newRunId()}.json`);
  const charge: ChargeRequest = { amountCents: 4200, currency: 'EUR', cardNumber: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123', reference: 'order' };
  let provider: Awaited<ReturnType<typeof startSheddingProvider>>;
  let flags: Flags;
  let config: ConfigService;
  /** A fresh client, so each test starts with a whole retry budget. */
  const client = () => new ProviderClient(config, flags);
  const callsOf = (key: string) => provider.calls.get(key) ?? 0;
  const statusOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: HttpException) => e.getStatus());

  beforeAll(async () => {
    copyFileSync(join(__dirname, '../../../flags/traceshop.flagd.json'), flagsFile);
    setScenarios(flagsFile, ['retry-storm'], true);
    setFix(flagsFile, 'retry-storm', true);
    provider = await startSheddingProvider();
    config = new ConfigService({ FLAGS_FILE: flagsFile, PAYMENT_PROVIDER_URL: provider.url, PROVIDER_TIMEOUT_MS: 1_000 });
    flags = new Flags(config);
    await flags.onModuleInit();
  });

  afterAll(async () => {
    flags.onApplicationShutdown();
    provider.server?.closeAllConnections();
    await new Promise((resolve) => provider.server?.close(resolve));
    rmSync(flagsFile, { force: true });
  });

  beforeEach(() => Object.assign(provider, { shed: 1, retryAfterS: 0, status: 503 }));

  describe('with the fix on', () => {
    it('comes back after the Retry-After the provider asked for, and the charge goes through on the second attempt', async () => {
      Object.assign(provider, { shed: 1, retryAfterS: 1 });
      const key = newRunId();
      // The provider sheds a key that comes back early again: two calls means the client waited.
      expect(await client().charge(charge, key)).toEqual({ chargeId: `ch_${key}`, status: 'approved' });
      expect(callsOf(key)).toBe(2);
    });

    it('gives up after three attempts, with the failure payment treats as an unknown outcome', async () => {
      provider.shed = Infinity;
      const key = newRunId();
      expect(await statusOf(client().charge(charge, key))).toBe(502);
      expect(callsOf(key)).toBe(3);
    });

    it('retries 429 like 503, and nothing else: a 500 may have done something', async () => {
      provider.status = 429;
      const limited = newRunId();
      expect(await client().charge(charge, limited)).toMatchObject({ status: 'approved' });
      expect(callsOf(limited)).toBe(2);
      provider.status = 500;
      const failed = newRunId();
      expect(await statusOf(client().charge(charge, failed))).toBe(502);
      expect(callsOf(failed)).toBe(1);
    });

    it('does not retry when the provider asks for a longer wait than payment can give', async () => {
      Object.assign(provider, { shed: 1, retryAfterS: 30 });
      const key = newRunId();
      expect(await statusOf(client().charge(charge, key))).toBe(502);
      expect(callsOf(key)).toBe(1);
    });

    it('spends at most its budget on retries: 10 plus a fifth of the charges', async () => {
      provider.shed = Infinity;
      const providerClient = client();
      const keys = Array.from({ length: 20 }, () => newRunId());
      await Promise.all(keys.map((key) => providerClient.charge(charge, key).catch(() => undefined)));
      const retries = keys.reduce((sum, key) => sum + callsOf(key) - 1, 0);
      // Without the budget, each of the 20 would have retried twice: 40 retries.
      expect(retries).toBeLessThanOrEqual(10 + 0.2 * keys.length);
      expect(retries).toBeGreaterThanOrEqual(10);
    });
  });

  describe('with the fault alone', () => {
    beforeAll(async () => {
      setFix(flagsFile, 'retry-storm', false);
      await waitFor(() => flags.fixOn(SCENARIOS.retryStorm), (on) => !on, { timeoutMs: 15_000, what: 'the fix switched off' });
    }, 20_000);

    it('asks again at once, five times in all, whatever the provider said', async () => {
      Object.assign(provider, { shed: Infinity, retryAfterS: 1 });
      const key = newRunId();
      expect(await statusOf(client().charge(charge, key))).toBe(502);
      expect(callsOf(key)).toBe(5);
    });
  });
});
