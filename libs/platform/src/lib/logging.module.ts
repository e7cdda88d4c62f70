import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { redactLogLine } from '@traceshop/telemetry';
import { LoggerModule } from 'nestjs-pino';

/**
 * JSON logs on stdout through pino. The OpenTelemetry pino instrumentation adds `trace_id` and
 * `span_id` to every line written inside a span, so a log line leads to its trace.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        pinoHttp: {
          level: config.get<string>('LOG_LEVEL') ?? 'info',
          autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
          // Secrets never reach a log line: bodies are not logged, and every line goes through the
          // spans' redaction rules (libs/telemetry's redaction.rules.ts) on its way out: a field
          // with a secret name (the Authorization and Cookie headers) is blanked, a card number
          // or bearer token in any text masked.
          hooks: { streamWrite: redactLogLine },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
