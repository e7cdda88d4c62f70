import { z } from 'zod';

/** Settings every service reads. Each app extends this schema with its own. */
export const baseConfigSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * Turns a zod schema into the `validate` function of `ConfigModule.forRoot`: the service refuses
 * to start with a message naming every bad variable, instead of failing later on first use.
 */
export function validateWith<T extends z.ZodType>(schema: T) {
  return (env: Record<string, unknown>): z.infer<T> => {
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
    }
    return parsed.data;
  };
}

/** The flag file of the fault scenarios (flagd's JSON format), for apps that have faults. */
export const flagsConfigSchema = z.object({
  FLAGS_FILE: z.string().default('flags/traceshop.flagd.json'),
});
