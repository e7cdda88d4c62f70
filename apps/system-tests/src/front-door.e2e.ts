import { getTrace, JaegerTrace, jsonClient, roots, serviceOf, spansOf, tag } from '@traceshop/testing';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayUrl, jaegerUrl, newCustomer } from './shop';

/**
 * The front door with its default limits (README, "The front door"): brute force refused per
 * account, the same answer for unknown and known emails, sessions that end, security headers.
 * Nothing here trips a per-address limit: every test file shares this stack and one address.
 */
describe('the front door', () => {
  const anonymous = () => jsonClient(gatewayUrl());
  const newEmail = () => `front-door-${randomBytes(5).toString('hex')}@example.com`;
  const allText = (trace: JaegerTrace) =>
    [...trace.spans.flatMap((s) => [...s.tags, ...s.logs.flatMap((l) => l.fields)]), ...Object.values(trace.processes).flatMap((p) => p.tags)]
      .map((kv) => `${kv.key}=${kv.value}`)
      .join('\n');

  describe('a brute force on one account', () => {
    const email = newEmail();
    const password = 'the-real-password';
    const wrong = Array.from({ length: 6 }, (_, i) => `not-the-password-${i}`);
    let answers: Awaited<ReturnType<ReturnType<typeof anonymous>['post']>>[];
    let rightDuringLockout: (typeof answers)[number];

    beforeAll(async () => {
      expect((await anonymous().post('/api/auth/register', { email, password })).status).toBe(201);
      answers = [];
      for (const guess of wrong) answers.push(await anonymous().post('/api/auth/login', { email, password: guess }));
      rightDuringLockout = await anonymous().post('/api/auth/login', { email, password });
    });

    it('gets 401 for five tries a minute, then 429 with Retry-After and the JSON error', () => {
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 429]);
      const refused = answers[5];
      expect(refused.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/^too many attempts; try again in \d+ s$/) });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    });

    it('refuses the right password too while the account is locked out', () => {
      expect(rightDuringLockout.status).toBe(429);
      expect(Number(rightDuringLockout.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });

    it('shows in Jaeger as a short gateway span naming the limit, without the email or the password', async () => {
      const traceId = answers[5].headers.get('x-trace-id')!;
      const trace = await getTrace(jaegerUrl(), traceId, { until: (t) => t.spans.some((s) => tag(s, 'traceshop.ratelimit.name') !== undefined) });
      const [root, ...others] = roots(trace);
      expect(others).toEqual([]);
      expect(serviceOf(trace, root)).toBe('gateway');
      expect(tag(root, 'http.response.status_code')).toBe(429);
      // The limit that fired, on the gateway's span of the request (the server span or Nest's handler span under it).
      const limited = trace.spans.find((s) => tag(s, 'traceshop.ratelimit.name') !== undefined)!;
      expect(serviceOf(trace, limited)).toBe('gateway');
      expect(tag(limited, 'traceshop.ratelimit.name')).toBe('login-account');
      expect(tag(limited, 'traceshop.ratelimit.limit')).toBe(5);
      expect(tag(limited, 'traceshop.ratelimit.window_s')).toBe(60);
      expect(Number(tag(limited, 'traceshop.ratelimit.retry_after_s'))).toBeGreaterThanOrEqual(1);
      // Refused at the door: auth never saw it.
      expect(spansOf(trace, 'auth')).toEqual([]);
      const text = allText(trace);
      for (const secret of [email, password, ...wrong]) expect(text).not.toContain(secret);
    });

    it('leaves no email or password in any service’s log', () => {
      const logDir = process.env.TRACESHOP_LOG_DIR!;
      const logs = readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8')).join('\n');
      for (const secret of [email, password, ...wrong]) expect(logs).not.toContain(secret);
    });
  });

  it('answers an unknown email exactly as a known email with a wrong password', async () => {
    const known = newEmail();
    expect((await anonymous().post('/api/auth/register', { email: known, password: 'known-password' })).status).toBe(201);
    const asKnown = await anonymous().post('/api/auth/login', { email: known, password: 'a-wrong-password' });
    const asUnknown = await anonymous().post('/api/auth/login', { email: newEmail(), password: 'a-wrong-password' });
    expect(asKnown.status).toBe(401);
    expect({ status: asUnknown.status, body: asUnknown.body }).toEqual({ status: asKnown.status, body: asKnown.body });
    expect(asUnknown.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'invalid email or password' });
  });

  it('logout ends the session at once: the token is refused on the next request', async () => {
    const customer = await newCustomer();
    expect((await customer.api.get('/api/cart')).status).toBe(200);
    expect((await customer.api.post('/api/auth/logout')).status).toBe(204);
    const after = await customer.api.get('/api/cart');
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'the token is invalid or expired' });
    expect((await customer.api.post('/api/auth/logout')).status).toBe(401);
  });

  it('a password change ends every session of the user, and only the new password logs in', async () => {
    const customer = await newCustomer();
    const login = (password: string) => anonymous().post('/api/auth/login', { email: customer.email, password });
    const elsewhere = jsonClient(gatewayUrl(), { authorization: `Bearer ${(await login(customer.password)).body.accessToken}` });
    const stranger = await newCustomer();
    expect((await elsewhere.get('/api/cart')).status).toBe(200);

    // Five password tries for this account in all (two logins, the change, two logins): the limit.
    expect((await customer.api.post('/api/auth/password', { currentPassword: customer.password, newPassword: 'a-new-password' })).status).toBe(204);
    expect((await elsewhere.get('/api/cart')).status).toBe(401);
    expect((await customer.api.get('/api/cart')).status).toBe(401);
    expect((await stranger.api.get('/api/cart')).status).toBe(200);
    expect((await login(customer.password)).status).toBe(401);
    expect((await login('a-new-password')).status).toBe(200);
  });

  it('log out everywhere ends every session of the user', async () => {
    const customer = await newCustomer();
    const login = await anonymous().post('/api/auth/login', { email: customer.email, password: customer.password });
    const elsewhere = jsonClient(gatewayUrl(), { authorization: `Bearer ${login.body.accessToken}` });
    expect((await customer.api.post('/api/auth/logout-everywhere')).status).toBe(204);
    expect((await customer.api.get('/api/cart')).status).toBe(401);
    expect((await elsewhere.get('/api/cart')).status).toBe(401);
  });

  it('answers with the usual security headers, no X-Powered-By and no CORS for a foreign origin', async () => {
    const ok = await anonymous().get('/api/products', { origin: 'https://elsewhere.example' });
    const missing = await anonymous().get('/api/no-such-route');
    expect([ok.status, missing.status]).toEqual([200, 404]);
    for (const res of [ok, missing]) {
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect(ok.headers.get('access-control-allow-origin')).toBeNull();
  });
});
