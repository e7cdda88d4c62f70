/**
 * Loaded before the application (`node --require ./telemetry.js main.js`), so that the
 * instrumented modules (http, express, Nest, pg, ioredis, amqplib, pino) are patched before
 * anything imports them. It also owns the end of the process: spans are flushed, then it exits.
 */
import { startTelemetry } from './lib/sdk';

const shutdown = startTelemetry();

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    // Nest's shutdown hooks listen too: they close the app (in-flight requests, consumers,
    // pools) and then re-send the signal with their listener removed. Only when we are the last
    // listener do we flush and exit, so the spans of the shutdown itself are exported as well.
    if (process.listenerCount(signal) > 1) return;
    shutdown()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}
