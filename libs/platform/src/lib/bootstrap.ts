import { BadRequestException, Type, ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { HttpErrorFilter } from './http-error.filter';

/** Options of `createApp`. */
export interface AppOptions {
  /** Largest accepted JSON body; larger ones get 413. */
  bodyLimit?: string;
}

/**
 * Builds a service the same way everywhere: pino logs, strict validation (unknown fields are
 * rejected), JSON errors, a small body limit, and shutdown hooks that close pools and consumers.
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
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  return app;
}

/** Creates the app and listens on PORT. */
export async function bootstrap(module: Type<unknown>, options?: AppOptions): Promise<NestExpressApplication> {
  const app = await createApp(module, options);
  await app.listen(app.get(ConfigService).getOrThrow<number>('PORT'));
  return app;
}
