import type { INestApplication } from '@nestjs/common';
import { createApp } from '@traceshop/platform';
import { createTestDatabase, createTestVhost, dropTestKeys, jsonClient, newRunId, REDIS_URL, repoRoot, startStandIn, waitFor } from '@traceshop/testing';
import Redis from 'ioredis';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

const RIGHT = 'the right password';

/**
 * auth, cart and inventory as the front door meets them, played by one node:http server (apps
 * never import each other): `RIGHT` is every account's password; a token is a user id, whose
 * email is `<token>@example.com`; carts are empty. `calls` counts what reached it, by path.
 */
async function startUpstreams() {
  const calls: { path: string; body: Record<string, string> }[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const answer = (status: number, payload?: unknown) =>
      res.writeHead(status, payload === undefined ? {} : { 'content-type': 'application/json' }).end(payload === undefined ? undefined : JSON.stringify(payload));
    const body = raw ? JSON.parse(raw) : {};
    const path = req.url ?? '';
    calls.push({ path, body });
    const refused = (status: number, error: string, message: string) => answer(status, { statusCode: status, error, message });
    if (path === '/sessions') return body.password === RIGHT ? answer(200, { accessToken: 'a-token', tokenType: 'Bearer', expiresIn: 3600 }) : refused(401, 'Unauthorized', 'invalid email or password');
    if (path === '/users') return answer(201, { id: 'new-user', email: body.email });
    if (path === '/introspect') return answer(200, { active: true, userId: body.token, email: `${body.token}@example.com` });
    if (path === '/logout' || path === '/logout-everywhere') return answer(204);
    if (path === '/password') return body.currentPassword === RIGHT ? answer(204) : refused(403, 'Forbidden', 'the current password is wrong');
    if (path.startsWith('/carts/')) return answer(200, { items: [], totalCents: 0 });
    if (path === '/products') return answer(200, []);
    answer(404, { statusCode: 404, error: 'Not Found', message: 'no such route' });
  };
  const { url, close } = await startStandIn(handle);
  return { url, calls, close };
}

// The gateway in-process against the real Postgres, RabbitMQ and Redis (its own database, vhost
// and key prefix), with small limits and a two-second window; a stand-in for the services behind.
// It trusts one proxy, so each test comes from an address of its own (X-Forwarded-For).
describe('the front door (gateway)', () => {
  const runId = newRunId();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let upstreams: Awaited<ReturnType<typeof startUpstreams>>;
  let app: INestApplication;
  let baseUrl: string;
  const from = (address: string, headers: Record<string, string> = {}) => jsonClient(baseUrl, { 'x-forwarded-for': address, ...headers });
  const login = (address: string, email: string, password: string) => from(address).post('/api/auth/login', { email, password });
  const reached = (path: string) => upstreams.calls.filter((c) => c.path === path).length;

  beforeAll(async () => {
    [db, vhost, upstreams] = await Promise.all([createTestDatabase(runId), createTestVhost(runId), startUpstreams()]);
    Object.assign(process.env, {
      PORT: '0',
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `${runId}:`,
      AUTH_URL: upstreams.url,
      CART_URL: upstreams.url,
      INVENTORY_URL: upstreams.url,
      PAYMENT_URL: upstreams.url,
      RATE_LIMIT_WINDOW_S: '2',
      LOGIN_LIMIT_PER_ADDRESS: '10',
      LOGIN_LIMIT_PER_ACCOUNT: '3',
      LOGIN_LOCKOUT_AFTER: '5',
      LOGIN_LOCKOUT_S: '30',
      REGISTER_LIMIT_PER_ADDRESS: '3',
      CHECKOUT_LIMIT_PER_USER: '2',
      CORS_ORIGINS: 'https://shop.example',
      TRUST_PROXY_HOPS: '1',
      FLAGS_FILE: join(repoRoot(__dirname), 'flags/traceshop.flagd.json'),
      LOG_LEVEL: 'silent',
    });
    const { AppModule } = await import('./app.module');
    app = await createApp(AppModule);
    await app.listen(0);
    baseUrl = await app.getUrl();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await upstreams?.close();
    await dropTestKeys(`${runId}:`);
    await vhost?.drop();
    await db?.drop();
  });

  const expect429 = (res: { status: number; headers: Headers; body: unknown }, maxRetryAfter: number) => {
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/^too many attempts; try again in \d+ s$/) });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
    return retryAfter;
  };

  it('refuses an account a fourth try in a window, the right password too, until the window is over', async () => {
    const email = 'ada@example.com';
    for (let i = 0; i < 3; i++) expect((await login('10.0.1.1', email, `wrong try ${i}`)).status).toBe(401);
    const before = reached('/sessions');
    expect429(await login('10.0.1.2', email, 'wrong try 4'), 2); // another address: the account is what counts
    expect429(await login('10.0.1.3', 'ADA@Example.com', RIGHT), 2); // the email as auth reads it
    expect(reached('/sessions')).toBe(before); // refused at the door: auth never saw them
    // Other accounts are not affected.
    expect((await login('10.0.1.1', 'grace@example.com', RIGHT)).status).toBe(200);
    // The lock-out ends with the window: then the right password works.
    await waitFor(() => login('10.0.1.4', email, RIGHT), (r) => r.status === 200, { timeoutMs: 8_000, intervalMs: 700, what: 'the lock-out to end' });
  });

  it('locks an account for LOGIN_LOCKOUT_S once it had LOGIN_LOCKOUT_AFTER tries, window or not', async () => {
    const email = 'mallory-target@example.com';
    for (let i = 0; i < 3; i++) expect((await login('10.0.2.1', email, `wrong try ${i}`)).status).toBe(401);
    // The next window: two more tries are let through (the fourth and fifth of the long count)...
    await waitFor(() => login('10.0.2.1', email, 'wrong try 3'), (r) => r.status === 401, { timeoutMs: 8_000, intervalMs: 700, what: 'the next window' });
    expect((await login('10.0.2.1', email, 'wrong try 4')).status).toBe(401);
    // ...the sixth locks it for the long time, the right password included.
    const retryAfter = expect429(await login('10.0.2.1', email, 'wrong try 5'), 30);
    expect(retryAfter).toBeGreaterThan(2);
    expect429(await login('10.0.2.1', email, RIGHT), 30);
  });

  it('limits logins per client address, whatever the accounts', async () => {
    for (let i = 0; i < 10; i++) expect((await login('10.0.3.1', `spray-${i}@example.com`, 'password1')).status).toBe(401);
    expect429(await login('10.0.3.1', 'spray-10@example.com', RIGHT), 2);
    expect((await login('10.0.3.2', 'spray-10@example.com', RIGHT)).status).toBe(200);
  });

  it('limits registrations per client address', async () => {
    for (let i = 0; i < 3; i++) expect((await from('10.0.4.1').post('/api/auth/register', { email: `new-${i}@example.com`, password: 'password1' })).status).toBe(201);
    expect429(await from('10.0.4.1').post('/api/auth/register', { email: 'new-3@example.com', password: 'password1' }), 2);
    expect((await from('10.0.4.2').post('/api/auth/register', { email: 'new-3@example.com', password: 'password1' })).status).toBe(201);
  });

  it('limits checkouts per user, after the token check', async () => {
    const card = { payment: { cardNumber: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' } };
    const alice = from('10.0.5.1', { authorization: 'Bearer alice' });
    for (let i = 0; i < 2; i++) expect((await alice.post('/api/checkout', card)).status).toBe(400); // the empty cart
    expect429(await alice.post('/api/checkout', card), 2);
    expect((await from('10.0.5.1', { authorization: 'Bearer bob' }).post('/api/checkout', card)).status).toBe(400);
    expect((await from('10.0.5.1').post('/api/checkout', card)).status).toBe(401); // no token: 401, not 429
  });

  it('counts password-change tries against the account, like logins', async () => {
    const eve = from('10.0.6.1', { authorization: 'Bearer eve' }); // eve@example.com
    for (let i = 0; i < 3; i++) expect((await eve.post('/api/auth/password', { currentPassword: `guess ${i}`, newPassword: 'new password' })).status).toBe(403);
    expect429(await eve.post('/api/auth/password', { currentPassword: RIGHT, newPassword: 'new password' }), 2);
    expect429(await login('10.0.6.2', 'eve@example.com', RIGHT), 2);
  });

  it('passes logout, logout everywhere and the password change to auth with the caller’s token', async () => {
    const frank = from('10.0.7.1', { authorization: 'Bearer frank' });
    expect((await frank.post('/api/auth/logout')).status).toBe(204);
    expect((await frank.post('/api/auth/logout-everywhere')).status).toBe(204);
    expect((await frank.post('/api/auth/password', { currentPassword: RIGHT, newPassword: 'new password' })).status).toBe(204);
    const bodies = upstreams.calls.filter((c) => c.body.token === 'frank' && c.path !== '/introspect').map((c) => c.body);
    expect(bodies).toEqual([{ token: 'frank' }, { token: 'frank' }, { token: 'frank', currentPassword: RIGHT, newPassword: 'new password' }]);
    expect((await from('10.0.7.1').post('/api/auth/logout')).status).toBe(401);
    expect((await frank.post('/api/auth/password', { currentPassword: RIGHT, newPassword: 'short' })).status).toBe(400);
  });

  it('keeps no email or address in Redis: the counters are hashes under the key prefix', async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${runId}:*`);
    await redis.quit();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(new RegExp(`^${runId}:\\{[0-9a-f]{64}:[a-z-]+\\}:(hits|blocked)$`));
  });

  it('answers with helmet’s headers and without X-Powered-By, errors too', async () => {
    for (const res of [await from('10.0.8.1').get('/api/products'), await from('10.0.8.1').get('/api/nothing-here')]) {
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    }
  });

  it('allows only the configured origins across origins', async () => {
    const allowed = await from('10.0.9.1', { origin: 'https://shop.example' }).get('/api/products');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('retry-after');
    const other = await from('10.0.9.1', { origin: 'https://evil.example' }).get('/api/products');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${baseUrl}/api/checkout`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
