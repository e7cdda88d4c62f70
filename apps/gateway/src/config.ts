import { amqpConfigSchema, baseConfigSchema, flagsConfigSchema, postgresConfigSchema, redisConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the gateway: name, default, validation. */
export const configSchema = baseConfigSchema
  .extend(postgresConfigSchema.shape)
  .extend(amqpConfigSchema.shape)
  // Redis holds the rate limits' counters, shared by every gateway replica.
  .extend(redisConfigSchema.shape)
  // The fault scenarios' switches (orphaned-work changes how long the checkout waits for payment).
  .extend(flagsConfigSchema.shape)
  .extend({
    PORT: z.coerce.number().int().default(8080),
    AUTH_URL: z.url().default('http://127.0.0.1:3001'),
    CART_URL: z.url().default('http://127.0.0.1:3002'),
    INVENTORY_URL: z.url().default('http://127.0.0.1:3003'),
    /** payment's HTTP side: the reconciliation of checkouts whose payment outcome is unknown. */
    PAYMENT_URL: z.url().default('http://127.0.0.1:3004'),
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

    // The front door (README "The front door"): what one client address, one account or one user
    // may do per window. Per-address limits sit above what a load test from one machine makes;
    // the per-account ones are what stops guessing passwords.
    /** The window of every limit but the lock-out, and how long a client over one waits. */
    RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).default(60),
    /** Logins per window from one client address, whatever the accounts. */
    LOGIN_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(300),
    /** Password tries per window for one account (logins and password changes), known or not. */
    LOGIN_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
    /** Password tries within LOGIN_LOCKOUT_S that lock the account's logins for LOGIN_LOCKOUT_S. */
    LOGIN_LOCKOUT_AFTER: z.coerce.number().int().min(1).default(20),
    LOGIN_LOCKOUT_S: z.coerce.number().int().min(1).default(3600),
    /** Registrations per window from one client address. */
    REGISTER_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(300),
    /** Checkout requests per window for one user (retries with an Idempotency-Key count too). */
    CHECKOUT_LIMIT_PER_USER: z.coerce.number().int().min(1).default(60),
    /** Browser origins allowed to call the API, comma-separated (e.g. https://shop.example); empty: none. */
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
      .pipe(z.array(z.url())),
    /** Proxies in front of the gateway whose X-Forwarded-For is believed (0: the client is the socket's peer). */
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).default(0),
  });
export type GatewayConfig = z.infer<typeof configSchema>;
