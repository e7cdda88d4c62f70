import { baseConfigSchema, flagsConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the payment provider stand-in: name, default, validation. */
export const configSchema = baseConfigSchema
  .extend(flagsConfigSchema.shape)
  .extend({
    PORT: z.coerce.number().int().default(3005),
    /**
     * In the slow-checkout scenario, added to every new charge before it is answered. The default
     * makes the provider the ~2 s of the reference incident's ~2.9 s payment.
     */
    PROVIDER_LATENCY_MS: z.coerce.number().int().min(0).max(120_000).default(2_000),
  });
export type PaymentProviderConfig = z.infer<typeof configSchema>;
