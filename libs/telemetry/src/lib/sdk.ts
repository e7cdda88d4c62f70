import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { envDetector, hostDetector, processDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { instrumentations } from './instrumentations';
import { RedactingSpanProcessor } from './redaction';

/**
 * Starts the OpenTelemetry SDK. Configuration comes from the standard OTEL_* variables
 * (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER[_ARG], OTEL_SDK_DISABLED,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_PROPAGATORS, OTEL_NODE_ENABLED_INSTRUMENTATIONS,
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS) plus TRACESHOP_AMQP_CONSUME_LINKS and TRACESHOP_EXPRESS_SPANS.
 * Returns a function that flushes and stops it.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): () => Promise<void> {
  // Traces only: the Collector's pipelines take traces, and metrics come from spanmetrics there.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  if (env.OTEL_LOG_LEVEL) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
  // Disabled means nothing at all. NodeSDK.start() would be a no-op, but too late: constructing
  // the instrumentations already patched their libraries (~8% CPU per checkout for nothing).
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return () => Promise.resolve();

  const sdk = new NodeSDK({
    instrumentations: instrumentations(env),
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
