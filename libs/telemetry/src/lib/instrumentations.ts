import type { IncomingMessage } from 'node:http';
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
 * Only the libraries TraceShop uses are instrumented (the stock bundle loads ~40 and costs
 * start-up time and per-request overhead). fs, dns and net are left out on purpose: they add
 * dozens of spans per request and explain nothing a person debugs here.
 */
export function instrumentations(env: NodeJS.ProcessEnv = process.env): Instrumentation[] {
  return [
    new HttpInstrumentation({ ignoreIncomingRequestHook: isHealthCheck }),
    new UndiciInstrumentation(), // fetch(), used for service-to-service calls
    // Express middleware spans (json parser, cors, ...) are noise under Nest's own spans.
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
    new NestInstrumentation(),
    // Without a parent, pool connects and migrations at start-up would each be a lone trace.
    new PgInstrumentation({ requireParentSpan: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    // Off (the default), a consumer's span is a child of the publisher's: one trace per checkout.
    // On, each consumed message starts its own trace with a link to the producer.
    new AmqplibInstrumentation({ useLinksForConsume: env.TRACESHOP_AMQP_CONSUME_LINKS === 'true' }),
    // Adds trace_id and span_id to every log line; logs themselves stay on stdout.
    new PinoInstrumentation({ disableLogSending: true }),
  ];
}
