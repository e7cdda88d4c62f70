import { baseConfigSchema } from '@traceshop/platform';
import { z } from 'zod';

/** Every setting of the auth service: name, default, validation. */
export const configSchema = baseConfigSchema.extend({
  PORT: z.coerce.number().int().default(3001),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/traceshop'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default(''),
  /** How long an access token stays valid. */
  TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(3600),
});
export type AuthConfig = z.infer<typeof configSchema>;
