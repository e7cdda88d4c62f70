import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';

/** Injection token of the service's ioredis client. */
export const REDIS = Symbol('REDIS');

/** No Redis command waits longer than this for its answer. */
const COMMAND_TIMEOUT_MS = 2_000;

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown() {
    // During an outage QUIT cannot be sent (no offline queue): just drop the connection.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Logs an outage once when it starts and once when it ends, not every reconnect attempt. */
function logOutages(redis: Redis, logger: Logger) {
  let down = false;
  let lastError = 'connection closed';
  // Without an 'error' listener ioredis prints every failed attempt to stderr.
  redis.on('error', (e: Error) => {
    lastError = e.message;
    logger.debug(`Redis: ${e.message}`);
  });
  redis.on('reconnecting', () => {
    if (!down) logger.warn(`Redis connection lost (${lastError}); reconnecting`);
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.log('Redis connection restored');
    down = false;
    lastError = 'connection closed';
  });
}

/**
 * Provides REDIS (REDIS_URL; every key under REDIS_KEY_PREFIX, so test runs never collide).
 * ioredis reconnects by itself (backoff up to 2 s). While it is disconnected a command fails at
 * once instead of waiting in an offline queue; one in flight when the connection drops is tried
 * again on at most 2 reconnects; none waits longer than COMMAND_TIMEOUT_MS.
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: async (config: ConfigService) => {
        const redis = new Redis(config.getOrThrow<string>('REDIS_URL'), {
          keyPrefix: config.get<string>('REDIS_KEY_PREFIX') ?? '',
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 2,
          commandTimeout: COMMAND_TIMEOUT_MS,
        });
        logOutages(redis, new Logger('redis'));
        await redis.connect();
        return redis;
      },
    },
    RedisCloser,
  ],
  exports: [REDIS],
})
export class RedisModule {}
