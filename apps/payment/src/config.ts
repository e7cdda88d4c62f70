import { amqpConfigSchema, baseConfigSchema, flagsConfigSchema, postgresConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the payment service: name, default, validation. */
export const configSchema = baseConfigSchema
  .extend(postgresConfigSchema.shape)
  .extend(amqpConfigSchema.shape)
  .extend(flagsConfigSchema.shape)
  .extend({
    PORT: z.coerce.number().int().default(3004),
    PAYMENT_PROVIDER_URL: z.url().default('http://127.0.0.1:3005'),
    /** How long one charge at the provider may take; after that the payment is an error. */
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
    /** The fraud check declines a card used for more payments than this in 24 hours. */
    FRAUD_MAX_CARD_PAYMENTS_24H: z.coerce.number().int().min(1).default(10_000),
    /**
     * Rows of card history (90 days) generated at first start-up for the slow-checkout scenario's
     * query. Two million make its five scans ~0.8 s on a 2-core machine, the reference incident's
     * database time (docs/benchmarks/reference-incident.md).
     */
    FRAUD_HISTORY_ROWS: z.coerce.number().int().min(0).max(20_000_000).default(2_000_000),
  });
export type PaymentConfig = z.infer<typeof configSchema>;
