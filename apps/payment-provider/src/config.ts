import { baseConfigSchema, flagsConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the payment provider stand-in: name, default, validation. */
export const configSchema = baseConfigSchema
  .extend(flagsConfigSchema.shape)
  .extend({
    PORT: z.coerce.number().int().default(3005),
    /** Added to every new charge before it is answered; the "slow provider" fault scenario raises it. */
    PROVIDER_LATENCY_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  });
export type PaymentProviderConfig = z.infer<typeof configSchema>;
