import { diag, DiagConsoleLogger } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { envDetector, hostDetector, processDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { instrumentations } from './instrumentations';
import { RedactingSpanProcessor } from './redaction';

/**
 * Starts the OpenTelemetry SDK. Configuration comes from the standard OTEL_* variables
 * (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER[_ARG], OTEL_SDK_DISABLED,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_PROPAGATORS, OTEL_LOG_LEVEL, OTEL_NODE_ENABLED_INSTRUMENTATIONS,
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS) plus TRACESHOP_AMQP_CONSUME_LINKS and TRACESHOP_EXPRESS_SPANS.
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
  const sdk = new NodeSDK({
    instrumentations: instrumented,
    // Local detectors only: cloud detectors make network calls at start-up.
    resourceDetectors: [envDetector, hostDetector, processDetector],
    // Redaction first, so the exporter never sees a secret. The batch processor keeps export
    // off the request path; an unreachable Collector only drops spans.
    spanProcessors: [
      new RedactingSpanProcessor(),
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter(),
        // SDK 3 no longer reads the standard OTEL_BSP_* variables itself.
        scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY) || undefined,
      }),
    ],
  });
  sdk.start();
  return () => sdk.shutdown();
}
