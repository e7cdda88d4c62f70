import { baseConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the gateway: name, default, validation. */
export const configSchema = baseConfigSchema.extend({
  PORT: z.coerce.number().int().default(8080),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default(''),
  AMQP_URL: z.string().url().default('amqp://guest:guest@127.0.0.1:5672'),
  AUTH_URL: z.string().url().default('http://127.0.0.1:3001'),
  CART_URL: z.string().url().default('http://127.0.0.1:3002'),
  INVENTORY_URL: z.string().url().default('http://127.0.0.1:3003'),
  /** How long one call to auth, cart or inventory may take. */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** How long the gateway waits for payment's reply; the request expires with it. */
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
  /** How long a checkout's result is kept for replays of its Idempotency-Key. */
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(60).default(86400),
});
export type GatewayConfig = z.infer<typeof configSchema>;
