import { startStack, stackFromEnv } from '@traceshop/testing';

/**
 * Starts the native stack once for every system test file (its own database, vhost and Redis
 * prefix, on ports away from the defaults) — or uses a running stack when TRACESHOP_GATEWAY_URL
 * and TRACESHOP_JAEGER_URL are set (e.g. one started by `docker compose up`).
 */
export default async function globalSetup() {
  const stack = stackFromEnv() ?? (await startStack({ ephemeral: true, portBase: 18000, logs: 'files' }));
  (globalThis as { __stack?: unknown }).__stack = stack;
  process.env.TRACESHOP_GATEWAY_URL = stack.gatewayUrl;
  process.env.TRACESHOP_JAEGER_URL = stack.jaegerUrl;
  process.env.TRACESHOP_PAYMENT_URL = stack.urls?.payment ?? '';
}
