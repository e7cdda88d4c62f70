import { INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { createTestDatabase, postgresAdmin, waitFor } from '@traceshop/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { HealthController } from './health.controller';
import { HealthModule } from './health.module';
import { migrate, PG_POOL, PostgresModule } from './postgres.module';

// Real Postgres, a database of its own.
describe('migrate', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const pools: Pool[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  writeFileSync(join(dir, '20260101000000000_things.sql'), '-- Up Migration\nCREATE TABLE things (id int PRIMARY KEY);\n-- Down Migration\nDROP TABLE things;\n');

  const pool = (schema: string) => {
    const p = new Pool({ connectionString: db.url, options: `-c search_path=${schema}` });
    pools.push(p);
    return p;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db?.drop();
  });

  it('creates the schema and runs the SQL files once, even when services start together', async () => {
    // two schemas and two instances of one of them, all at once: the per-schema lock serialises
    // what must be serialised and lets the rest run
    await Promise.all([
      migrate(pool('alpha'), { schema: 'alpha', migrationsDir: dir }),
      migrate(pool('alpha'), { schema: 'alpha', migrationsDir: dir }),
      migrate(pool('beta'), { schema: 'beta', migrationsDir: dir }),
    ]);
    const check = pool('public');
    const { rows } = await check.query(
      `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('alpha', 'beta') ORDER BY 1, 2`,
    );
    expect(rows).toEqual([
      { table_schema: 'alpha', table_name: 'migrations' },
      { table_schema: 'alpha', table_name: 'things' },
      { table_schema: 'beta', table_name: 'migrations' },
      { table_schema: 'beta', table_name: 'things' },
    ]);
    const applied = await check.query('SELECT count(*)::int AS n FROM alpha.migrations');
    expect(applied.rows[0].n).toBe(1);
  });
});

// A Postgres restart staged on our own database only (the server stays up for everyone else): it
// refuses new connections and every open one is terminated.
describe('PostgresModule', () => {
  const schema = 'survivor';
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: INestApplication;
  let pool: Pool;

  /** Runs one statement as the administrator, on the server's own database. */
  async function admin(sql: string, params: unknown[] = []) {
    const client = new Client(postgresAdmin());
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  }
  const allowConnections = (allow: boolean) => admin(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS ${allow}`);

  /** What /health/ready says about Postgres. */
  async function readiness(): Promise<string> {
    try {
      return (await app.get(HealthController).ready()).details.postgres.status;
    } catch (e) {
      return (e as { getResponse(): { details: Record<string, { status: string }> } }).getResponse().details.postgres.status;
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
    writeFileSync(join(dir, '20260101000000000_things.sql'), '-- Up Migration\nCREATE TABLE things (id int PRIMARY KEY);\n-- Down Migration\nDROP TABLE things;\n');
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ DATABASE_URL: db.url })] }),
        PostgresModule.forRoot({ schema, migrationsDir: dir }),
        HealthModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    pool = app.get(PG_POOL);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('outlives a Postgres restart: nothing crashes, readiness goes red and green again, the pool answers again', async () => {
    // Idle connections in the pool, and one checked out, as by a transaction waiting on other work.
    await Promise.all([1, 2, 3].map(() => pool.query('SELECT pg_sleep(0.05)')));
    const checkedOut = await pool.connect();
    expect(await readiness()).toBe('up');

    await allowConnections(false);
    try {
      const { rowCount } = await admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [db.name, schema]);
      // Each connection hears of its end (an 'error' event: unhandled, it would crash the process).
      const answer = await checkedOut.query('SELECT 1').then(() => 'answered', (e: Error) => e.message);
      checkedOut.release();
      expect(rowCount).toBe(3);
      expect(answer).not.toBe('answered');
      await waitFor(async () => pool.totalCount, (n) => n === 0, { what: 'the pool to drop its lost connections' });
      expect(await readiness()).toBe('down');
      await expect(pool.query('SELECT 1')).rejects.toThrow(/not currently accepting connections/);
    } finally {
      await allowConnections(true);
    }

    await waitFor(readiness, (status) => status === 'up', { what: 'readiness' });
    expect((await pool.query('SELECT count(*)::int AS n FROM things')).rows).toEqual([{ n: 0 }]);
  });
});
