import { amqpConfigSchema, baseConfigSchema, flagsConfigSchema, postgresConfigSchema, redisConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the cart service: name, default, validation. */
export const configSchema = baseConfigSchema
  .extend(postgresConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(amqpConfigSchema.shape)
  .extend(flagsConfigSchema.shape)
  .extend({
    PORT: z.coerce.number().int().default(3002),
    INVENTORY_URL: z.url().default('http://127.0.0.1:3003'),
    /** How long one call to inventory may take before the cart answers 504. */
    INVENTORY_TIMEOUT_MS: z.coerce.number().int().min(50).default(2000),
    /** A cart nobody touched for this long is forgotten (every change restarts the clock). */
    CART_TTL_SECONDS: z.coerce.number().int().min(60).default(7 * 24 * 3600),
  });
export type CartConfig = z.infer<typeof configSchema>;
