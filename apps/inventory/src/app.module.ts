import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingModule } from '@traceshop/messaging';
import { FlagsModule, HealthModule, LoggingModule, PostgresModule, RedisModule, validateWith } from '@traceshop/platform';
import { join } from 'node:path';
import { configSchema } from './config';
import { InventoryController } from './inventory.controller';
import { InventoryRepository } from './inventory.repository';
import { InventoryService } from './inventory.service';
import { OrderEventsController } from './order-events.controller';
import { HttpPaymentClient, PAYMENT_CLIENT } from './payment.client';
import { ProductsCache } from './products.cache';
import { ReservationSweeper } from './reservation-sweeper';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateWith(configSchema) }),
    LoggingModule,
    // Products, stock and reservations live in Postgres (schema "inventory"); the product list
    // is cached in Redis; order events arrive over RabbitMQ.
    PostgresModule.forRoot({ schema: 'inventory', migrationsDir: join(__dirname, 'migrations') }),
    RedisModule,
    MessagingModule,
    FlagsModule,
    HealthModule,
  ],
  // HTTP and RabbitMQ (order events) alike.
  controllers: [InventoryController, OrderEventsController],
  providers: [
    InventoryService,
    InventoryRepository,
    ProductsCache,
    ReservationSweeper,
    { provide: PAYMENT_CLIENT, useClass: HttpPaymentClient },
  ],
})
export class AppModule {}
