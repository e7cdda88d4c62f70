import type { IncomingMessage } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

/** Health probes run every few seconds and teach nothing: they are not traced. */
export const isHealthCheck = (req: IncomingMessage) => req.url?.startsWith('/health') ?? false;

/**
 * Our instrumentations by their short name (the package name without `@opentelemetry/instrumentation-`,
 * as OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS spell them).
 * Factories, not instances: an instrumentation patches its modules as soon as it is constructed.
 */
const FACTORIES: Record<string, (env: NodeJS.ProcessEnv) => Instrumentation> = {
  http: () => new HttpInstrumentation({ ignoreIncomingRequestHook: isHealthCheck }),
  undici: () => new UndiciInstrumentation(), // fetch(), used for service-to-service calls
  // Express makes no spans: its router and request-handler spans only repeat Nest's (the
  // controller method's span is right below), its middleware spans (json parser, cors, ...) are
  // noise, and each one costs even when the request is not sampled (docs/benchmarks, "Where
  // always_off goes"). It stays for one thing: it names the HTTP server span after the route
  // (`POST /api/checkout`, http.route), which it still does for ignored layers.
  // TRACESHOP_EXPRESS_SPANS=true brings the router and request-handler spans back.
  express: (env) =>
    new ExpressInstrumentation({
      ignoreLayersType:
        env.TRACESHOP_EXPRESS_SPANS === 'true'
          ? [ExpressLayerType.MIDDLEWARE]
          : [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER],
    }),
  'nestjs-core': () => new NestInstrumentation(),
  // Without a parent, pool connects and migrations at start-up would each be a lone trace.
  pg: () => new PgInstrumentation({ requireParentSpan: true }),
  ioredis: () => new IORedisInstrumentation({ requireParentSpan: true }),
  // Off (the default), a consumer's span is a child of the publisher's: one trace per checkout.
  // On, each consumed message starts its own trace with a link to the producer.
  amqplib: (env) => new AmqplibInstrumentation({ useLinksForConsume: env.TRACESHOP_AMQP_CONSUME_LINKS === 'true' }),
  // Adds trace_id and span_id to every log line; logs themselves stay on stdout.
  pino: () => new PinoInstrumentation({ disableLogSending: true }),
};

export const INSTRUMENTATION_NAMES = Object.keys(FACTORIES);

/**
 * Only the libraries TraceShop uses are instrumented (the stock bundle loads ~40 and costs
 * start-up time and per-request overhead). fs, dns and net are left out on purpose: they add
 * dozens of spans per request and explain nothing a person debugs here.
 *
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS (only these) and then OTEL_NODE_DISABLED_INSTRUMENTATIONS
 * (all but these) narrow the list, with the names and rules of auto-instrumentations-node (the
 * SDK itself applies them only to that bundle, not to instrumentations passed to it): e.g.
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino,nestjs-core`. Meant for measuring what each one costs.
 */
export function instrumentations(env: NodeJS.ProcessEnv = process.env): Instrumentation[] {
  const list = (variable: string) => {
    const names = (env[variable] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    for (const name of names) if (!(name in FACTORIES)) diag.warn(`${variable}: unknown instrumentation "${name}" (known: ${INSTRUMENTATION_NAMES.join(', ')})`);
    return names.length > 0 ? names : undefined;
  };
  const enabled = list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabled = list('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? [];
  return Object.entries(FACTORIES)
    .filter(([name]) => (enabled?.includes(name) ?? true) && !disabled.includes(name))
    .map(([, create]) => create(env));
}
