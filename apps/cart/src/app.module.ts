import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingModule } from '@traceshop/messaging';
import { FlagsModule, HealthModule, LoggingModule, PostgresModule, RedisModule, validateWith } from '@traceshop/platform';
import { join } from 'node:path';
import { CartController } from './cart.controller';
import { CartService } from './cart.service';
import { CartStore } from './cart.store';
import { configSchema } from './config';
import { HttpInventoryClient, INVENTORY_CLIENT } from './inventory.client';
import { OrderEventsController } from './order-events.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateWith(configSchema) }),
    LoggingModule,
    // Carts live in Redis, orders in Postgres (schema "cart"); order events arrive over RabbitMQ.
    PostgresModule.forRoot({ schema: 'cart', migrationsDir: join(__dirname, 'migrations') }),
    RedisModule,
    MessagingModule,
    FlagsModule,
    HealthModule,
  ],
  // HTTP and RabbitMQ (order events) alike.
  controllers: [CartController, OrderEventsController],
  providers: [
    CartService,
    CartStore,
    OrdersService,
    OrdersRepository,
    { provide: INVENTORY_CLIENT, useClass: HttpInventoryClient },
  ],
})
export class AppModule {}
