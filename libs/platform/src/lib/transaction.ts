import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one Postgres transaction on one pooled connection: COMMIT when it returns and
 * `commit(result)` agrees, ROLLBACK when it throws or `commit` says no. The one transaction
 * helper of every service.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, commit: (result: T) => boolean = () => true): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query(commit(result) ? 'COMMIT' : 'ROLLBACK');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
