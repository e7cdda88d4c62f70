import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { MessagingModule } from '@traceshop/messaging';
import { FlagsModule, HealthModule, LoggingModule, PostgresModule, REDIS, RedisModule, validateWith } from '@traceshop/platform';
import helmet from 'helmet';
import { join } from 'node:path';
import { AccountController } from './account.controller';
import { AMQP_CLIENTS } from './amqp.clients';
import { AuthClient } from './auth.client';
import { AuthGuard } from './auth.guard';
import { CartClient } from './cart.client';
import { CheckoutController } from './checkout.controller';
import { CheckoutReconciler } from './checkout.reconciler';
import { CheckoutService } from './checkout.service';
import { CheckoutsRepository } from './checkouts.repository';
import { configSchema } from './config';
import { InventoryClient } from './inventory.client';
import { OutboxRelay } from './outbox.relay';
import { PaymentClient } from './payment.client';
import { rateLimitOptions } from './rate-limits';
import { ShopController } from './shop.controller';
import { TraceHeadersMiddleware } from './trace-headers.middleware';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateWith(configSchema) }),
    LoggingModule,
    // The checkouts (the saga's state) and their outbox, in Postgres (schema "gateway");
    // RabbitMQ carries payment requests and order events.
    PostgresModule.forRoot({ schema: 'gateway', migrationsDir: join(__dirname, 'migrations') }),
    MessagingModule,
    // The rate limits' counters (rate-limits.ts), shared by every gateway replica.
    RedisModule,
    ThrottlerModule.forRootAsync({ inject: [ConfigService, REDIS], useFactory: rateLimitOptions }),
    HealthModule,
    FlagsModule,
  ],
  controllers: [ShopController, AccountController, CheckoutController],
  providers: [
    ...AMQP_CLIENTS,
    AuthClient,
    CartClient,
    InventoryClient,
    PaymentClient,
    AuthGuard,
    CheckoutsRepository,
    OutboxRelay,
    CheckoutService,
    CheckoutReconciler,
  ],
})
export class AppModule implements NestModule {
  constructor(
    private readonly config: ConfigService,
    private readonly http: HttpAdapterHost,
  ) {}

  /** The public door's HTTP settings, in place before any route: Nest calls this before it adds them. */
  configure(consumer: MiddlewareConsumer) {
    const { httpAdapter } = this.http;
    // Behind proxies (a load balancer, an ingress) the client is in X-Forwarded-For: the per-address limits need it.
    httpAdapter.getInstance().set('trust proxy', this.config.getOrThrow<number>('TRUST_PROXY_HOPS'));
    // No CORS headers unless origins are configured: browsers then refuse every cross-origin call.
    const origins = this.config.getOrThrow<string[]>('CORS_ORIGINS');
    if (origins.length > 0) httpAdapter.enableCors({ origin: origins, exposedHeaders: ['location', 'retry-after', 'traceresponse', 'x-trace-id'] });
    // helmet: the usual security headers, and no X-Powered-By.
    consumer.apply(helmet(), TraceHeadersMiddleware).forRoutes('*path');
  }
}
