import { baseConfigSchema, postgresConfigSchema, redisConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the auth service: name, default, validation. */
export const configSchema = baseConfigSchema
  .extend(postgresConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend({
    PORT: z.coerce.number().int().default(3001),
    /** How long an access token stays valid. */
    TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(3600),
  });
export type AuthConfig = z.infer<typeof configSchema>;
