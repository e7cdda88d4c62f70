import { amqpConfigSchema, baseConfigSchema, flagsConfigSchema, postgresConfigSchema, redisConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the inventory service: name, default, validation. */
export const configSchema = baseConfigSchema
  .extend(postgresConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(amqpConfigSchema.shape)
  .extend(flagsConfigSchema.shape)
  .extend({
    PORT: z.coerce.number().int().default(3003),
    /** How long the product list may be served from Redis; also bounds how stale it can get. */
    PRODUCT_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(30),
    /** Payment, asked by the reservation sweeper what became of an expired reservation's order. */
    PAYMENT_URL: z.url().default('http://127.0.0.1:3004'),
    /** A held reservation older than this is expired: the sweeper asks payment whether to release it. */
    RESERVATION_TTL_SECONDS: z.coerce.number().int().min(1).default(900),
    /** How often the sweeper looks for expired reservations. */
    RESERVATION_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  });
export type InventoryConfig = z.infer<typeof configSchema>;
