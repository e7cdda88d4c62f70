import { baseConfigSchema, flagsConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the cart service: name, default, validation. */
export const configSchema = baseConfigSchema.merge(flagsConfigSchema).extend({
  PORT: z.coerce.number().int().default(3002),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/traceshop'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default(''),
  AMQP_URL: z.string().url().default('amqp://guest:guest@127.0.0.1:5672'),
  INVENTORY_URL: z.string().url().default('http://127.0.0.1:3003'),
  /** How long one call to inventory may take before the cart answers 503. */
  INVENTORY_TIMEOUT_MS: z.coerce.number().int().min(50).default(2000),
  /** A cart nobody touched for this long is forgotten (every change restarts the clock). */
  CART_TTL_SECONDS: z.coerce.number().int().min(60).default(7 * 24 * 3600),
});
export type CartConfig = z.infer<typeof configSchema>;
