import { amqpConfigSchema, baseConfigSchema, postgresConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the gateway: name, default, validation. */
export const configSchema = baseConfigSchema
  .extend(postgresConfigSchema.shape)
  .extend(amqpConfigSchema.shape)
  .extend({
    PORT: z.coerce.number().int().default(8080),
    AUTH_URL: z.string().url().default('http://127.0.0.1:3001'),
    CART_URL: z.string().url().default('http://127.0.0.1:3002'),
    INVENTORY_URL: z.string().url().default('http://127.0.0.1:3003'),
    /** payment's HTTP side: the reconciliation of checkouts whose payment outcome is unknown. */
    PAYMENT_URL: z.string().url().default('http://127.0.0.1:3004'),
    /** How long one call to auth, cart, inventory or payment (HTTP) may take. */
    UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
    /** How long the gateway waits for payment's reply; the request expires with it. */
    PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
    /** How often the reconciler looks for checkouts nobody finished (payment unknown, abandoned). */
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
    /** How long an unfinished checkout is left to its client's retry before the reconciler takes it. */
    RECONCILE_AFTER_MS: z.coerce.number().int().min(0).default(5000),
    /** How often the outbox relay looks for events not yet published (e.g. after a broker outage). */
    OUTBOX_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
  });
export type GatewayConfig = z.infer<typeof configSchema>;
