import type { INestApplication } from '@nestjs/common';
import { createApp } from '@traceshop/platform';
import { createTestDatabase, jsonClient, newRunId, REDIS_URL } from '@traceshop/testing';
import Redis from 'ioredis';
import crypto from 'node:crypto';

// Runs the auth service in-process against the real Postgres and Redis: its own database and
// key prefix, removed afterwards.
describe('auth API', () => {
  const runId = newRunId();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: INestApplication;
  let api: ReturnType<typeof jsonClient>;

  beforeAll(async () => {
    db = await createTestDatabase(runId);
    Object.assign(process.env, { PORT: '0', DATABASE_URL: db.url, REDIS_URL, REDIS_KEY_PREFIX: `${runId}:`, LOG_LEVEL: 'silent' });
    const { AppModule } = await import('./app.module'); // reads its configuration on import
    app = await createApp(AppModule);
    await app.listen(0);
    api = jsonClient(await app.getUrl());
  });

  afterAll(async () => {
    await app?.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${runId}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await db?.drop();
  });

  it('registers, logs in and introspects a token', async () => {
    const reg = await api.post('/users', { email: 'Ada@Example.com', password: 'correct horse' });
    expect(reg.status).toBe(201);
    const user = reg.body;
    expect(user).toEqual({ id: expect.any(String), email: 'ada@example.com' });

    const login = await api.post('/sessions', { email: 'ada@example.com', password: 'correct horse' });
    expect(login.status).toBe(200);
    const session = login.body;
    expect(session).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 3600 });

    const active = (await api.post('/introspect', { token: session.accessToken })).body;
    expect(active).toEqual({ active: true, userId: user.id, email: 'ada@example.com' });
    expect((await api.post('/introspect', { token: 'nope' })).body).toEqual({ active: false });
  });

  it('keeps only a hash of the token in Redis', async () => {
    const { accessToken } = (await api.post('/sessions', { email: 'demo@traceshop.local', password: 'traceshop-demo' })).body;
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${runId}:session:*`);
    const values = await Promise.all(keys.map((k) => redis.get(k)));
    await redis.quit();
    expect(keys.length).toBeGreaterThan(0);
    expect(JSON.stringify([keys, values])).not.toContain(accessToken);
  });

  it('refuses a taken email, a wrong password and bad input', async () => {
    expect((await api.post('/users', { email: 'demo@traceshop.local', password: 'whatever1' })).status).toBe(409);
    const wrong = await api.post('/sessions', { email: 'demo@traceshop.local', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'invalid email or password' });
    for (const body of ['{"email":', { email: 'a@b.co', password: 'short' }, { email: 'a@b.co', password: 'longenough', role: 'admin' }, { email: 5, password: [] }]) {
      const res = await api.post('/users', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect((await api.post('/users', { email: 'a@b.co', password: 'x'.repeat(100_000) })).status).toBe(413);
  });

  it('does the same work for an unknown email as for a known one, and answers the same', async () => {
    // A spy that calls through: every scrypt the service runs, with its arguments.
    const scrypt = jest.spyOn(crypto, 'scrypt');
    const work = async (email: string) => {
      scrypt.mockClear();
      const res = await api.post('/sessions', { email, password: 'not-the-password' });
      const calls = scrypt.mock.calls.map(([, salt, keylen, options]) => ({ saltBytes: (salt as Buffer).length, keylen, options: typeof options === 'function' ? 'defaults' : options }));
      return { status: res.status, body: res.body, calls };
    };
    try {
      const known = await work('demo@traceshop.local');
      const unknown = await work('nobody-here@example.com');
      expect(known.calls).toEqual([{ saltBytes: 16, keylen: 32, options: 'defaults' }]);
      expect(unknown).toEqual(known);
      expect(unknown.status).toBe(401);
    } finally {
      scrypt.mockRestore();
    }
  });

  describe('ending sessions', () => {
    const redis = new Redis(REDIS_URL, { keyPrefix: `${runId}:` });
    afterAll(() => redis.quit());

    const account = async () => {
      const email = `user-${Math.random().toString(16).slice(2, 10)}@example.com`;
      const { id } = (await api.post('/users', { email, password: 'first password' })).body;
      const login = async (password = 'first password') => (await api.post('/sessions', { email, password })).body.accessToken as string;
      return { id, email, login };
    };
    const active = async (token: string) => (await api.post('/introspect', { token })).body.active as boolean;

    it('logout ends that session at once, and only that one', async () => {
      const user = await account();
      const [phone, laptop] = [await user.login(), await user.login()];
      expect((await api.post('/logout', { token: phone })).status).toBe(204);
      expect(await active(phone)).toBe(false);
      expect(await active(laptop)).toBe(true);
      expect(await redis.smembers(`user-sessions:${user.id}`)).toHaveLength(1);
      expect((await api.post('/logout', { token: phone })).status).toBe(204); // nothing left to end
    });

    it('logout everywhere ends every session of the user, no one else’s', async () => {
      const [user, other] = [await account(), await account()];
      const tokens = [await user.login(), await user.login(), await user.login()];
      const others = await other.login();
      expect((await api.post('/logout-everywhere', { token: tokens[0] })).status).toBe(204);
      for (const token of tokens) expect(await active(token)).toBe(false);
      expect(await active(others)).toBe(true);
      expect(await redis.exists(`user-sessions:${user.id}`)).toBe(0);
      expect((await api.post('/logout-everywhere', { token: tokens[0] })).status).toBe(401);
    });

    it('a password change needs the current password, then ends every session', async () => {
      const user = await account();
      const [token, elsewhere] = [await user.login(), await user.login()];
      const wrong = await api.post('/password', { token, currentPassword: 'not it', newPassword: 'second password' });
      expect(wrong.status).toBe(403);
      expect(wrong.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'the current password is wrong' });
      expect(await active(elsewhere)).toBe(true);
      expect((await api.post('/password', { token, currentPassword: 'first password', newPassword: 'short' })).status).toBe(400);

      expect((await api.post('/password', { token, currentPassword: 'first password', newPassword: 'second password' })).status).toBe(204);
      expect(await active(token)).toBe(false);
      expect(await active(elsewhere)).toBe(false);
      expect((await api.post('/sessions', { email: user.email, password: 'first password' })).status).toBe(401);
      expect(await active(await user.login('second password'))).toBe(true);
      expect((await api.post('/password', { token, currentPassword: 'second password', newPassword: 'third password' })).status).toBe(401);
    });
  });
});
