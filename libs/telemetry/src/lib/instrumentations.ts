import type { IncomingMessage } from 'node:http';
import { registerHooks } from 'node:module';
import { context, createContextKey } from '@opentelemetry/api';
import type { InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { publishDestination, querySummary } from './span-names';

/** Health probes run every few seconds and teach nothing: they are not traced. */
export const isHealthCheck = (req: IncomingMessage) => req.url?.startsWith('/health') ?? false;

const PREFIX = '@opentelemetry/instrumentation-';

/**
 * The service a call goes to, as the caller names it: libs/platform's ServiceClient puts it in the
 * context of each call (its own key of the same name: `createContextKey` is `Symbol.for`, one
 * symbol for the app's bundle and this preload's).
 */
export const PEER_SERVICE = createContextKey('traceshop.peer.service');

/** The bundle's configuration of each instrumentation TraceShop uses, by package name. */
function ourConfigs(env: NodeJS.ProcessEnv): InstrumentationConfigMap {
  return {
    '@opentelemetry/instrumentation-http': { ignoreIncomingRequestHook: isHealthCheck },
    // fetch(), which ServiceClient uses for service-to-service calls. The client span says whom it
    // calls: `peer.service`, what Jaeger reads (the UI shows it beside a client span that has no
    // server span under it, e.g. a call that timed out), and `server.service.name`, the name the
    // conventions now give it. The span keeps its conventional name, the method alone: ServiceClient
    // is given concrete paths, and a name with the path in it would be one name per order id.
    '@opentelemetry/instrumentation-undici': {
      startSpanHook: () => {
        const peer = context.active().getValue(PEER_SERVICE);
        return typeof peer === 'string' ? { 'peer.service': peer, 'server.service.name': peer } : {};
      },
    },
    // Express makes no spans: its router and request-handler spans only repeat the server span,
    // its middleware spans (json parser, cors, ...) are noise, and each one costs even when the
    // request is not sampled (docs/benchmarks, "Where always_off goes"). It stays for one thing:
    // it names the HTTP server span after the route (`POST /api/checkout`, http.route), which it
    // still does for ignored layers. TRACESHOP_EXPRESS_SPANS=true brings the router and
    // request-handler spans back.
    '@opentelemetry/instrumentation-express': {
      ignoreLayersType:
        env.TRACESHOP_EXPRESS_SPANS === 'true'
          ? [ExpressLayerType.MIDDLEWARE]
          : [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER],
    },
    // Without a parent, pool connects and migrations at start-up would each be a lone trace.
    // A query's span is named by its summary, as the database conventions name it: the operation
    // and its tables (`SELECT fraud_history`, `INSERT reservation_items SELECT`, `COMMIT`), where
    // the instrumentation says only the operation and the database (`pg.query:SELECT traceshop`).
    '@opentelemetry/instrumentation-pg': {
      requireParentSpan: true,
      requestHook: (span, { query }) => {
        if (!span.isRecording()) return; // not sampled: no name to give
        const summary = querySummary(query.text);
        span.setAttribute('db.query.summary', summary);
        span.updateName(summary);
      },
    },
    '@opentelemetry/instrumentation-ioredis': {
      requireParentSpan: true,
      // A Lua script's keys and arguments are its caller's data (the gateway's rate limits pass
      // hashes of an email): the statement keeps the command and how many there were, not them.
      requestHook: (span, { cmdName, cmdArgs }) => {
        if (/^eval/i.test(cmdName)) span.setAttribute('db.query.text', `${cmdName} [${cmdArgs.length} arguments]`);
      },
    },
    // Off (the default), a consumer's span is a child of the publisher's: one trace per checkout.
    // On, each consumed message starts its own trace with a link to the producer.
    // A publish is named `publish {destination}` (the messaging conventions), never `publish
    // <default>`: `publish payment.requests`, `publish orders:order.confirmed`, a reply
    // `publish amq.rabbitmq.reply-to`. (Consumers name their `process` span: libs/messaging.)
    '@opentelemetry/instrumentation-amqplib': {
      useLinksForConsume: env.TRACESHOP_AMQP_CONSUME_LINKS === 'true',
      publishHook: (span, { exchange, routingKey }) => {
        const destination = publishDestination(exchange, routingKey);
        span.setAttributes({
          'messaging.operation.name': 'publish',
          'messaging.destination.name': destination.name,
          ...(destination.template ? { 'messaging.destination.template': destination.template, 'messaging.destination.temporary': true } : {}),
        });
        span.updateName(`publish ${destination.template ?? destination.name}`);
      },
    },
    // Adds trace_id and span_id to every log line; logs themselves stay on stdout.
    '@opentelemetry/instrumentation-pino': { disableLogSending: true },
  };
}

/** Our instrumentations by short name, as OTEL_NODE_ENABLED_INSTRUMENTATIONS spells them: http, undici, express, pg, ioredis, amqplib, pino. */
export const INSTRUMENTATION_NAMES = Object.keys(ourConfigs({})).map((name) => name.slice(PREFIX.length));

/**
 * The instrumentations of OpenTelemetry's bundle (`getNodeAutoInstrumentations`) that TraceShop
 * uses, configured as above; the bundle's other 34 (fs, dns, net, mysql, aws-sdk, ...) stay off:
 * they add spans that explain nothing here, or patch libraries we do not have.
 *
 * nestjs-core is one of them: it made two more spans for every handled request, under the server
 * span (`POST /api/checkout` → `CheckoutController.create` → `create`), with nothing a person
 * needs that the server span lacks: the same route and method, the same time to within the guards
 * and pipes (a guard's own calls, like the token check, have their own client spans). What the
 * handler's code puts on the active span (order ids, flag evaluations, a 5xx's exception) goes on
 * the server span instead, and the handler's name is the route's. Message handlers had no Nest span
 * to begin with: the amqplib `process` span is theirs. `OTEL_NODE_ENABLED_INSTRUMENTATIONS` with
 * `nestjs-core` added to the seven brings them back.
 *
 * Everything is read from process.env, as the bundle reads it. The bundle itself applies the
 * standard variables, as its README says:
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS (only these, by short name) and then
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS (all but these), e.g.
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino,ioredis`. Our list is simply the default of the
 * first: unset (or empty), it is the seven above. So the variables narrow our set, and naming one
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
