import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { runner } from 'node-pg-migrate';
import { Pool } from 'pg';
import { postgresConfigSchema, validateWith } from './config';

/** Injection token of the service's `pg.Pool`. */
export const PG_POOL = Symbol('PG_POOL');

/** Where a service keeps its tables, and the folder of its SQL migrations. */
export interface PostgresOptions {
  schema: string;
  migrationsDir: string;
}

/**
 * Runs the pending SQL migrations of one schema with node-pg-migrate. Its own lock is one per
 * database and fails at once, so services starting together would crash each other; instead we
 * wait on a lock per schema, which still keeps two instances of one service from racing.
 */
export async function migrate(pool: Pool, { schema, migrationsDir }: PostgresOptions): Promise<void> {
  const client = await pool.connect();
  const logger = new Logger('migrations');
  const lock = `traceshop.migrations.${schema}`;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
    await runner({
      noLock: true,
      dbClient: client,
      dir: migrationsDir,
      direction: 'up',
      schema,
      createSchema: true,
      migrationsTable: 'migrations',
      checkOrder: true,
      logger: { debug: () => undefined, info: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
    });
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]).catch(() => undefined);
    client.release();
  }
}

/**
 * PG_POOL_SIZE, validated here as well as by the app's schema (postgresConfigSchema): whatever
 * the app's config holds, a bad value stops the start-up instead of giving an unbounded pool.
 */
const poolSize = (value: unknown) => validateWith(postgresConfigSchema.pick({ PG_POOL_SIZE: true }))({ PG_POOL_SIZE: value }).PG_POOL_SIZE;

@Injectable()
class PoolCloser implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}
  onApplicationShutdown() {
    return this.pool.end();
  }
}

/**
 * Provides PG_POOL on the service's own schema (DATABASE_URL, search_path = schema; at most
 * PG_POOL_SIZE connections), after its migrations have run. Services share a database server but
 * never each other's tables.
 * The pool outlives a Postgres restart: a query during the outage fails, and the next one after
 * it opens a fresh connection.
 */
@Module({})
export class PostgresModule {
  static forRoot(options: PostgresOptions): DynamicModule {
    return {
      module: PostgresModule,
      global: true,
      providers: [
        {
          provide: PG_POOL,
          inject: [ConfigService],
          useFactory: async (config: ConfigService) => {
            const logger = new Logger('postgres');
            const pool = new Pool({
              connectionString: config.getOrThrow<string>('DATABASE_URL'),
              options: `-c search_path=${options.schema}`,
              max: poolSize(config.get('PG_POOL_SIZE')),
              // Names the service's connections in pg_stat_activity.
              application_name: options.schema,
            });
            // A client whose server connection ends (a Postgres restart, pg_terminate_backend) emits
            // 'error', idle in the pool or checked out between two queries (a transaction waiting on
            // other work), and an idle one's error is emitted on the pool again. Without listeners
            // either would crash the process. The pool drops such a client (an idle one at once, a
            // checked-out one when it is released) and opens a fresh one for the next query.
            pool.on('connect', (client) => client.on('error', (e) => logger.warn(`Postgres connection lost: ${e.message}`)));
            pool.on('error', () => undefined); // logged by the client's own listener above
            await migrate(pool, options);
            return pool;
          },
        },
        PoolCloser,
      ],
      exports: [PG_POOL],
    };
  }
}
