import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingModule } from '@traceshop/messaging';
import { HealthModule, LoggingModule, RedisModule, validateWith } from '@traceshop/platform';
import { AuthClient } from './auth.client';
import { AuthGuard } from './auth.guard';
import { CartClient } from './cart.client';
import { CheckoutController } from './checkout.controller';
import { CheckoutService } from './checkout.service';
import { configSchema } from './config';
import { IdempotencyStore } from './idempotency.store';
import { InventoryClient } from './inventory.client';
import { ShopController } from './shop.controller';
import { TraceHeadersMiddleware } from './trace-headers.middleware';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateWith(configSchema) }),
    LoggingModule,
    // No business data here: Redis holds idempotency keys, RabbitMQ carries payments and events.
    RedisModule,
    MessagingModule,
    HealthModule,
  ],
  controllers: [ShopController, CheckoutController],
  providers: [AuthClient, CartClient, InventoryClient, AuthGuard, IdempotencyStore, CheckoutService],
})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(TraceHeadersMiddleware).forRoutes('*path');
  }
}
