import { z } from 'zod';

/**
 * Settings every service reads. Each app extends this schema with the fragments below that it
 * uses (`.extend(postgresConfigSchema.shape)`, ...) and then with its own settings.
 */
export const baseConfigSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Postgres, for apps with PostgresModule: the server, and how many connections one instance may hold. */
export const postgresConfigSchema = z.object({
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/traceshop'),
  /** Bounded: every service's pool comes out of the server's max_connections (compose sets 5). */
  PG_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
});

/** Redis, for apps with RedisModule: the server, and the prefix of every key (test runs never collide). */
export const redisConfigSchema = z.object({
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default(''),
});

/** RabbitMQ, for apps with MessagingModule. */
export const amqpConfigSchema = z.object({
  AMQP_URL: z.url().default('amqp://guest:guest@127.0.0.1:5672'),
});

/** The flag file of the fault scenarios (flagd's JSON format), for apps that have faults. */
export const flagsConfigSchema = z.object({
  FLAGS_FILE: z.string().default('flags/traceshop.flagd.json'),
});

/**
 * Turns a zod schema into the `validate` function of `ConfigModule.forRoot`: the service refuses
 * to start with a message naming every bad variable, instead of failing later on first use.
 */
export function validateWith<T extends z.ZodType>(schema: T) {
  return (env: Record<string, unknown>): z.infer<T> => {
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
    }
    return parsed.data;
  };
}
