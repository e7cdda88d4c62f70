import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
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
          // Secrets never reach a log line: bodies are not logged, and these headers are blanked.
          redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
        },
      }),
    }),
  ],
})
export class LoggingModule {}
