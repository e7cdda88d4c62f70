import { INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { dropTestKeys, newRunId, REDIS_URL, waitFor } from '@traceshop/testing';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { HealthController } from './health.controller';
import { HealthModule } from './health.module';
import { REDIS, RedisModule } from './redis.module';

// The real Redis, shared with everyone: the service connects as a user of its own, so an outage
// is staged for it alone. Its connection is killed, and while the user is switched off every
// reconnect attempt is refused, as if Redis were down.
describe('RedisModule', () => {
  const runId = newRunId();
  const user = `traceshop-test-${runId}`;
  const prefix = `traceshop-test-${runId}:`;
  const password = randomBytes(12).toString('hex');
  let admin: Redis;
  let app: INestApplication;
  let redis: Redis;

  const switchUser = (on: boolean) => admin.call('ACL', 'SETUSER', user, on ? 'on' : 'off');

  /** What /health/ready says about Redis. */
  async function readiness(): Promise<string> {
    try {
      return (await app.get(HealthController).ready()).details.redis.status;
    } catch (e) {
      return (e as { getResponse(): { details: Record<string, { status: string }> } }).getResponse().details.redis.status;
    }
  }

  beforeAll(async () => {
    admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
    // INFO (ioredis' ready check) is among @all's commands; keys only under the run's prefix.
    await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, `~${prefix}*`, '+@all');
    const url = new URL(REDIS_URL);
    url.username = user;
    url.password = password;
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ REDIS_URL: url.toString(), REDIS_KEY_PREFIX: prefix })] }),
        RedisModule,
        HealthModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    redis = app.get(REDIS);
  });

  afterAll(async () => {
    await app?.close();
    await admin?.call('ACL', 'DELUSER', user);
    await dropTestKeys(prefix);
    admin?.disconnect();
  });

  it('fails fast while Redis is gone, comes back by itself, and readiness follows', async () => {
    await redis.set('k', 'v');
    expect(await readiness()).toBe('up');

    await switchUser(false);
    try {
      expect(await admin.call('CLIENT', 'KILL', 'USER', user)).toBeGreaterThanOrEqual(1);
      await waitFor(readiness, (status) => status === 'down', { what: 'readiness to go red' });
      // Between two attempts a command is refused at once, not queued for the next attempt (and
      // the next, as long as the outage lasts).
      await waitFor(async () => redis.status, (status) => status === 'reconnecting', { intervalMs: 10, what: 'a pause between attempts' });
      let attempts = 0;
      const countAttempt = () => attempts++;
      redis.on('connect', countAttempt);
      await expect(redis.get('k')).rejects.toThrow();
      redis.off('connect', countAttempt);
      expect(attempts).toBe(0);
    } finally {
      await switchUser(true);
    }

    await waitFor(readiness, (status) => status === 'up', { what: 'readiness to go green' });
    expect(await redis.get('k')).toBe('v');
  });
});
