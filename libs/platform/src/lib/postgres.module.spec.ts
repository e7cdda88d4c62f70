import { createTestDatabase } from '@traceshop/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { migrate } from './postgres.module';

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
