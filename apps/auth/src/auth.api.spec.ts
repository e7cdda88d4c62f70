import type { INestApplication } from '@nestjs/common';
import { createApp } from '@traceshop/platform';
import { createTestDatabase, jsonClient, newRunId, REDIS_URL } from '@traceshop/testing';
import Redis from 'ioredis';

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
});
