import { connect } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { createDatabase, createVhost, databaseUrl, deleteRedisKeys, deleteVhost, dropDatabase } from './resources';

/** Redis and RabbitMQ of this machine, as tests reach them. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const AMQP_BASE_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A short random id that names one test run's database, vhost and key prefix. */
export const newRunId = () => randomBytes(4).toString('hex');

/** An empty database for one test file; `drop()` removes it. */
export async function createTestDatabase(runId = newRunId()) {
  const name = `traceshop_test_${runId}`;
  await createDatabase(name);
  return { name, url: databaseUrl(name), drop: () => dropDatabase(name) };
}

/** A RabbitMQ vhost for one test file; `drop()` deletes it with its queues. */
export async function createTestVhost(runId = newRunId()) {
  const vhost = `traceshop-test-${runId}`;
  await createVhost(vhost);
  return { vhost, url: `${AMQP_BASE_URL}/${encodeURIComponent(vhost)}`, drop: () => deleteVhost(vhost) };
}

/** Removes every Redis key of one test file (its key prefix). */
export const dropTestKeys = (prefix: string) => deleteRedisKeys(REDIS_URL, prefix);

/** Messages waiting in `queue` of the vhost at `amqpUrl`, read through a connection of our own. */
export async function queueDepth(amqpUrl: string, queue: string): Promise<number> {
  const connection = await connect(amqpUrl);
  try {
    return (await (await connection.createChannel()).checkQueue(queue)).messageCount;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
