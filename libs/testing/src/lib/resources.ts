import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { Client, ClientConfig } from 'pg';

const run = promisify(execFile);

// The stateful services of the machine (Postgres, RabbitMQ, Redis) are shared by every stack;
// each stack gets its own database, vhost and key prefix on them.

/**
 * How the launcher reaches Postgres as an administrator: PGHOST, PGPORT, PGUSER and PGPASSWORD
 * when set, else postgres@127.0.0.1:5432 (trust auth).
 */
export function postgresAdmin(): ClientConfig {
  return {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER || 'postgres',
    password: process.env.PGPASSWORD || undefined,
    database: 'postgres',
  };
}

/** The DATABASE_URL the services get for database `name`. */
export function databaseUrl(name: string, admin = postgresAdmin()): string {
  const auth = admin.password ? `${encodeURIComponent(admin.user!)}:${encodeURIComponent(String(admin.password))}` : encodeURIComponent(admin.user!);
  return `postgres://${auth}@${admin.host}:${admin.port}/${name}`;
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(postgresAdmin());
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates database `name` unless it exists. `name` must be a plain identifier. */
export async function createDatabase(name: string): Promise<void> {
  await withAdmin(async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  });
}

/** Drops database `name`, closing the connections still open on it. */
export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

async function rabbitmqctl(...args: string[]): Promise<string> {
  try {
    return (await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`rabbitmqctl ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** Creates RabbitMQ vhost `name` (if missing) and gives user `user` every permission on it. */
export async function createVhost(name: string, user = 'guest'): Promise<void> {
  await rabbitmqctl('add_vhost', name); // a no-op when it exists
  await rabbitmqctl('set_permissions', '-p', name, user, '.*', '.*', '.*');
}

/** Deletes RabbitMQ vhost `name` with its queues and exchanges. */
export async function deleteVhost(name: string): Promise<void> {
  await rabbitmqctl('delete_vhost', name);
}

/** Deletes every Redis key that starts with `prefix` (SCAN + DEL, so Redis never blocks). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  if (!prefix) throw new Error('refusing to delete Redis keys without a prefix');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let deleted = 0;
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
