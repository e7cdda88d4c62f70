export { bootstrap, createApp, type AppOptions } from './lib/bootstrap';
export { baseConfigSchema, flagsConfigSchema, validateWith } from './lib/config';
export { Flags, FlagsModule } from './lib/flags.module';
export { HealthModule } from './lib/health.module';
export { HttpErrorFilter, toErrorBody } from './lib/http-error.filter';
export { LoggingModule } from './lib/logging.module';
export { inTransaction } from './lib/transaction';
export { migrate, PG_POOL, PostgresModule, type PostgresOptions } from './lib/postgres.module';
export { REDIS, RedisModule } from './lib/redis.module';
