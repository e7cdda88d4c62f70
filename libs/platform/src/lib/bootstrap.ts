import { BadRequestException, Type, ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { AmqpService, AmqpTransport } from '@traceshop/messaging';
import { HttpErrorFilter } from './http-error.filter';

/** Options of `createApp`. */
export interface AppOptions {
  /** Largest accepted JSON body; larger ones get 413. */
  bodyLimit?: string;
  /**
   * Adds what the app serves besides its controllers (the gateway's OpenAPI document and
   * Swagger UI). Runs before the app initialises: Nest appends its 404 handler then, and a
   * route registered after it is never reached.
   */
  configure?: (app: NestExpressApplication) => void;
}

/**
 * Builds a service the same way everywhere: pino logs, strict validation (unknown fields are
 * rejected), JSON errors, a small body limit, and shutdown hooks that close pools and consumers.
 * A service with RabbitMQ (MessagingModule) is a hybrid app: its `@MessagePattern` /
 * `@EventPattern` handlers run on the AmqpTransport, with the same validation of `@Payload()`,
 * and start consuming once everything is initialised (migrations run, connection open).
 */
export async function createApp(module: Type<unknown>, options: AppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: options.bodyLimit ?? '16kb' });
  // Nest would answer a JSON syntax error with JSON.parse's message, which quotes the input (a
  // card number, a password). Replace it before Nest maps it.
  app.use((err: unknown, _req: unknown, _res: unknown, next: (e?: unknown) => void) =>
    next(err instanceof SyntaxError && (err as { type?: string }).type === 'entity.parse.failed' ? new BadRequestException('malformed request body') : err),
  );
  // One validation for HTTP bodies and message payloads: unknown fields are rejected.
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  options.configure?.(app);
  const amqp = messagingOf(app);
  if (amqp) {
    // With the app's config: its handlers are made at once, with the ValidationPipe and the error
    // filter already in place (a filter or pipe added to the microservice afterwards is not used).
    app.connectMicroservice<MicroserviceOptions>({ strategy: new AmqpTransport(amqp) }, { inheritAppConfig: true });
    await app.init();
    await app.startAllMicroservices();
  }
  return app;
}

/** Creates the app and listens on PORT. */
export async function bootstrap(module: Type<unknown>, options?: AppOptions): Promise<NestExpressApplication> {
  const app = await createApp(module, options);
  await app.listen(app.get(ConfigService).getOrThrow<number>('PORT'));
  return app;
}

/**
 * The app's AmqpService, if it imports MessagingModule. Looked up first, not caught: app.get() of
 * a provider the app does not have ends the process (Nest's abortOnError) before any catch runs.
 */
function messagingOf(app: NestExpressApplication): AmqpService | undefined {
  const provided = [...app.get(ModulesContainer).values()].some((module) => module.providers.has(AmqpService));
  return provided ? app.get(AmqpService, { strict: false }) : undefined;
}
