import { amqpConfigSchema, baseConfigSchema, flagsConfigSchema, postgresConfigSchema, redisConfigSchema, validateWith } from './config';

describe('the config fragments', () => {
  const schema = baseConfigSchema.extend(postgresConfigSchema.shape).extend(redisConfigSchema.shape).extend(amqpConfigSchema.shape).extend(flagsConfigSchema.shape);
  const validate = validateWith(schema);

  it('default everything but the port to the native stack', () => {
    expect(validate({ PORT: '3000' })).toEqual({
      PORT: 3000,
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/traceshop',
      PG_POOL_SIZE: 10,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: '',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
      FLAGS_FILE: 'flags/traceshop.flagd.json',
    });
  });

  it('take PG_POOL_SIZE as a whole number of connections from 1 to 100, and refuse anything else by name', () => {
    expect(validate({ PORT: '3000', PG_POOL_SIZE: '5' }).PG_POOL_SIZE).toBe(5);
    expect(validate({ PORT: '3000', PG_POOL_SIZE: '100' }).PG_POOL_SIZE).toBe(100);
    for (const bad of ['0', '101', '2.5', 'ten', '-1']) {
      expect(() => validate({ PORT: '3000', PG_POOL_SIZE: bad })).toThrow(/^invalid configuration:\n {2}PG_POOL_SIZE: /);
    }
  });

  it('refuse addresses that are not URLs', () => {
    expect(() => validate({ PORT: '3000', DATABASE_URL: 'localhost', REDIS_URL: 'redis', AMQP_URL: '' })).toThrow(/DATABASE_URL: .*\n {2}REDIS_URL: .*\n {2}AMQP_URL: /);
  });
});
