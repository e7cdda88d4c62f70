import { join } from 'node:path';
import { register } from 'tsconfig-paths';
import type * as Testing from '@traceshop/testing';

/**
 * Starts the native stack once for every system test file (its own database, vhost and Redis
 * prefix, on ports away from the defaults) — or uses a running stack when TRACESHOP_GATEWAY_URL
 * and TRACESHOP_JAEGER_URL are set (e.g. one started by `docker compose up`).
 */
export default async function globalSetup() {
  // Jest loads global setup outside its own module resolver: teach Node the @traceshop/* aliases.
  const root = join(__dirname, '../../..');
  register({ baseUrl: root, paths: require(join(root, 'tsconfig.base.json')).compilerOptions.paths });
  const { startStack, stackFromEnv } = require('@traceshop/testing') as typeof Testing;

  const stack = stackFromEnv() ?? (await startStack({
      ephemeral: true,
      portBase: Number(process.env.TRACESHOP_PORT_BASE ?? 18000), // another base lets two runs share a machine
      logs: 'files',
      // A smaller card-history archive than the default two million rows: seeded faster, still by far
      // the slowest query of a slow checkout.
      env: { FRAUD_HISTORY_ROWS: '300000' },
    }));
  (globalThis as { __stack?: unknown }).__stack = stack;
  process.env.TRACESHOP_GATEWAY_URL = stack.gatewayUrl;
  process.env.TRACESHOP_JAEGER_URL = stack.jaegerUrl;
  // Where each service's log is: tmp/stack-<run>/<service>.log natively; against compose, set
  // TRACESHOP_LOG_DIR to a folder of `docker compose logs --no-log-prefix <service>` dumps.
  if ('logDir' in stack) process.env.TRACESHOP_LOG_DIR = stack.logDir;
  // The Collector's span metrics (`npm run trace -- --stats`); compose publishes them on 8889, the default.
  if ('spanMetricsUrl' in stack) process.env.TRACESHOP_SPANMETRICS_URL = stack.spanMetricsUrl;
  // The flag file the services read; against compose, point it at the mounted flags file.
  if ('flagsFile' in stack) process.env.TRACESHOP_FLAGS_FILE = stack.flagsFile;
  // The database and vhost of the stack (npm run lab's fix of slow-checkout adds an index there).
  if ('databaseUrl' in stack) process.env.TRACESHOP_DATABASE_URL = stack.databaseUrl;
  if ('amqpUrl' in stack) process.env.TRACESHOP_LAB_AMQP_URL = stack.amqpUrl;
  if ('redisKeyPrefix' in stack) process.env.TRACESHOP_REDIS_KEY_PREFIX = stack.redisKeyPrefix;
}
