/**
 * What an outage of a dependency looks like from inside a message handler: the database or the
 * cache is restarting, a connection was cut. Retrying such a message after a pause succeeds once
 * the dependency is back, so it must not use up the message's tries and end in the dead-letter
 * queue (an order event lost to a 5-second Postgres restart would be a lost order).
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// Postgres SQLSTATEs: class 08 (connection exception), 57P01–57P03 (the server is shutting down
// or starting), 53300 (too many connections).
const POSTGRES_CODES = /^(08...|57P0[123]|53300)$/;
const MESSAGES = [
  'Connection terminated', // pg: the server went away under a query
  'timeout exceeded when trying to connect', // pg: the pool could not connect
  'Connection is closed', // ioredis
  "Stream isn't writeable", // ioredis without its offline queue, while reconnecting
  'Command timed out', // ioredis commandTimeout
];

export function isTransient(e: unknown): boolean {
  const { code, message = '' } = (e ?? {}) as { code?: unknown; message?: string };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_CODES.test(code))) return true;
  return MESSAGES.some((m) => message.includes(m));
}
