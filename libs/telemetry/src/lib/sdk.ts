import { diag, DiagConsoleLogger } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, envDetector, hostDetector, processDetector, resourceFromAttributes, serviceInstanceIdDetector, type ResourceDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { instrumentations } from './instrumentations';
import { RedactingSpanProcessor } from './redaction';
import { configuredSampler, FlagFile, SamplingDoorExporter, SamplingFlagEvents, ScenarioSampler } from './sampling';

/**
 * Starts the OpenTelemetry SDK. Configuration comes from the standard OTEL_* variables
 * (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER[_ARG], OTEL_SDK_DISABLED,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_PROPAGATORS, OTEL_LOG_LEVEL, OTEL_NODE_ENABLED_INSTRUMENTATIONS,
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS) plus TRACESHOP_AMQP_CONSUME_LINKS and TRACESHOP_EXPRESS_SPANS,
 * and, for the sampling-blind-spot and split-traces scenarios, FLAGS_FILE,
 * TRACESHOP_OTLP_TAIL_ENDPOINT and TRACESHOP_OTLP_SAMPLER_ENDPOINT.
 * Returns a function that flushes and stops it.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): () => Promise<void> {
  // Traces only: the Collector's pipelines take traces, and metrics come from spanmetrics there.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  // The SDK's own diagnostics at the level OTEL_LOG_LEVEL names (none, error, warn, info, debug,
  // verbose, all; unset: none at all, as the SDK does), read the way the SDK reads it. Set here
  // already because the instrumentations log while they are constructed, before NodeSDK would
  // set it up.
  const logLevel = env.OTEL_LOG_LEVEL?.trim() ? diagLogLevelFromString(env.OTEL_LOG_LEVEL) : undefined;
  if (logLevel !== undefined) diag.setLogger(new DiagConsoleLogger(), { logLevel });
  // Disabled means nothing at all. NodeSDK.start() would be a no-op, but too late: constructing
  // the instrumentations already patched their libraries (~8% CPU per checkout for nothing).
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return () => Promise.resolve();

  const instrumented = instrumentations();
  // NodeSDK sets the same logger again from OTEL_LOG_LEVEL and would warn (with a stack trace)
  // that it replaces ours; the bundle's own register script steps aside the same way.
  if (logLevel !== undefined) diag.disable();
  // The sampling-blind-spot scenario switches how traces are sampled while the service runs.
  const flags = new FlagFile(env.FLAGS_FILE || 'flags/traceshop.flagd.json');
  const door = (endpoint: string | undefined) => (endpoint?.trim() ? new OTLPTraceExporter({ url: `${endpoint.trim().replace(/\/+$/, '')}/v1/traces` }) : undefined);
  const tailDoor = door(env.TRACESHOP_OTLP_TAIL_ENDPOINT);
  // split-traces: the sampling Collector of the two-layer tier this instance was given, behind the router's back.
  const samplerDoor = door(env.TRACESHOP_OTLP_SAMPLER_ENDPOINT);
  const sdk = new NodeSDK({
    instrumentations: instrumented,
    sampler: new ScenarioSampler(configuredSampler(env), flags),
    resource: defaultResource().merge(resourceFromAttributes(traceshopResource())),
    // Local detectors only: cloud detectors make network calls at start-up. Later ones win, so
    // OTEL_RESOURCE_ATTRIBUTES (envDetector) overrides every attribute, ours above included.
    resourceDetectors: [serviceInstanceIdDetector, hostDetector, processWithoutCommandLine, envDetector],
    // Redaction first, so the exporter never sees a secret. The batch processor keeps export
    // off the request path; an unreachable Collector only drops spans.
    spanProcessors: [
      new SamplingFlagEvents(flags),
      new RedactingSpanProcessor(),
      new BatchSpanProcessor({
        exporter: new SamplingDoorExporter(new OTLPTraceExporter(), tailDoor, flags, samplerDoor),
        // SDK 3 no longer reads the standard OTEL_BSP_* variables itself.
        scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY) || undefined,
      }),
    ],
  });
  sdk.start();
  return () => sdk.shutdown();
}

/**
 * What every TraceShop service says about itself, on every span (Jaeger's "Process"): the shop it
 * belongs to, the version of the build (the workspace's package.json, bundled into the preload
 * when it is built) and where it runs. `deployment.environment.name` is `native` unless
 * OTEL_RESOURCE_ATTRIBUTES says otherwise: compose sets `compose` (docker-compose.yml), a
 * Kubernetes deployment would set `kubernetes`. `service.instance.id` (a UUID per process) comes
 * from its detector.
 */
export function traceshopResource(): Record<string, string> {
  return {
    'service.namespace': 'traceshop',
    // A file of the workspace, not a lib: webpack bundles it, the image has no package.json.
    // eslint-disable-next-line @nx/enforce-module-boundaries
    'service.version': require('../../../../package.json').version,
    'deployment.environment.name': 'native',
  };
}

/**
 * The process detector without `process.command_args`: the full command line of a Node process
 * (`node --require ./telemetry.js main.js`, or with tsx and jest a hundred characters more) on
 * every span, and whatever a flag on it holds. The executable, pid, runtime and owner stay.
 */
const processWithoutCommandLine: ResourceDetector = {
  detect: (config) => {
    const { attributes = {} } = processDetector.detect(config);
    return { attributes: Object.fromEntries(Object.entries(attributes).filter(([key]) => key !== 'process.command_args' && key !== 'process.command_line')) };
  },
};
