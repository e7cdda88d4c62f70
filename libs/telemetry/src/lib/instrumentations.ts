import type { IncomingMessage } from 'node:http';
import { registerHooks } from 'node:module';
import type { InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressLayerType } from '@opentelemetry/instrumentation-express';

/** Health probes run every few seconds and teach nothing: they are not traced. */
export const isHealthCheck = (req: IncomingMessage) => req.url?.startsWith('/health') ?? false;

const PREFIX = '@opentelemetry/instrumentation-';

/** The bundle's configuration of each instrumentation TraceShop uses, by package name. */
function ourConfigs(env: NodeJS.ProcessEnv): InstrumentationConfigMap {
  return {
    '@opentelemetry/instrumentation-http': { ignoreIncomingRequestHook: isHealthCheck },
    '@opentelemetry/instrumentation-undici': {}, // fetch(), used for service-to-service calls
    // Express makes no spans: its router and request-handler spans only repeat Nest's (the
    // controller method's span is right below), its middleware spans (json parser, cors, ...) are
    // noise, and each one costs even when the request is not sampled (docs/benchmarks, "Where
    // always_off goes"). It stays for one thing: it names the HTTP server span after the route
    // (`POST /api/checkout`, http.route), which it still does for ignored layers.
    // TRACESHOP_EXPRESS_SPANS=true brings the router and request-handler spans back.
    '@opentelemetry/instrumentation-express': {
      ignoreLayersType:
        env.TRACESHOP_EXPRESS_SPANS === 'true'
          ? [ExpressLayerType.MIDDLEWARE]
          : [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER],
    },
    '@opentelemetry/instrumentation-nestjs-core': {},
    // Without a parent, pool connects and migrations at start-up would each be a lone trace.
    '@opentelemetry/instrumentation-pg': { requireParentSpan: true },
    '@opentelemetry/instrumentation-ioredis': { requireParentSpan: true },
    // Off (the default), a consumer's span is a child of the publisher's: one trace per checkout.
    // On, each consumed message starts its own trace with a link to the producer.
    '@opentelemetry/instrumentation-amqplib': { useLinksForConsume: env.TRACESHOP_AMQP_CONSUME_LINKS === 'true' },
    // Adds trace_id and span_id to every log line; logs themselves stay on stdout.
    '@opentelemetry/instrumentation-pino': { disableLogSending: true },
  };
}

/** Our instrumentations by short name, as OTEL_NODE_ENABLED_INSTRUMENTATIONS spells them: http, undici, express, nestjs-core, pg, ioredis, amqplib, pino. */
export const INSTRUMENTATION_NAMES = Object.keys(ourConfigs({})).map((name) => name.slice(PREFIX.length));

/**
 * The instrumentations of OpenTelemetry's bundle (`getNodeAutoInstrumentations`) that TraceShop
 * uses, configured as above; the bundle's other 33 (fs, dns, net, mysql, aws-sdk, ...) stay off:
 * they add spans that explain nothing here, or patch libraries we do not have.
 *
 * Everything is read from process.env, as the bundle reads it. The bundle itself applies the
 * standard variables, as its README says:
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS (only these, by short name) and then
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS (all but these), e.g.
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino,nestjs-core`. Our list is simply the default of the
 * first: unset (or empty), it is the eight above. So the variables narrow our set, and naming one
 * of the bundle's others (`OTEL_NODE_ENABLED_INSTRUMENTATIONS=http,dns`) turns it on with its
 * defaults, as the bundle documents for its "default disabled" ones. Constructing an
 * instrumentation patches its module at once, so this is called only when the SDK is on.
 */
export function instrumentations(): Instrumentation[] {
  // Empty counts as unset for the bundle (it would then enable all its defaults), so `||=`.
  process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS ||= INSTRUMENTATION_NAMES.join(',');
  return loadBundle().getNodeAutoInstrumentations(ourConfigs(process.env));
}

const SKIPPED = 'file:///traceshop-skipped/';

/**
 * The bundle's module requires every instrumentation package it knows (~40) and five cloud
 * resource detectors as it loads, enabled or not: ~270 modules, +13-15 MiB of RSS and 0.1-0.3 s
 * of start-up CPU in each service (docs/benchmarks/startup.md). While it loads, the instrumentation
 * packages OTEL_NODE_ENABLED_INSTRUMENTATIONS does not name (read as the bundle reads it), and
 * the detectors (we pass our own), resolve to an empty module. The bundle touches a package's
 * export only to construct it, which it then does not do; should an upgrade touch one earlier,
 * every start fails, the specs first.
 */
function loadBundle(): typeof import('@opentelemetry/auto-instrumentations-node') {
  const wanted = new Set(process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS!.split(',').map((name) => `${PREFIX}${name.trim()}`));
  const skip = (specifier: string) => /^@opentelemetry\/(instrumentation|resource-detector)-/.test(specifier) && !wanted.has(specifier);
  const hooks = registerHooks({
    resolve: (specifier, context, next) => (skip(specifier) ? { url: SKIPPED + specifier, format: 'commonjs', shortCircuit: true } : next(specifier, context)),
    load: (url, context, next) => (url.startsWith(SKIPPED) ? { format: 'commonjs', source: '', shortCircuit: true } : next(url, context)),
  });
  try {
    // Required here, with the hooks in place, not imported (an import would load it first).
    return require('@opentelemetry/auto-instrumentations-node');
  } finally {
    hooks.deregister();
  }
}
