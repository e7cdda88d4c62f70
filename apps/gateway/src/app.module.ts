import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingModule } from '@traceshop/messaging';
import { HealthModule, LoggingModule, PostgresModule, validateWith } from '@traceshop/platform';
import { join } from 'node:path';
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
    HealthModule,
  ],
  controllers: [ShopController, CheckoutController],
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
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(TraceHeadersMiddleware).forRoutes('*path');
  }
}
