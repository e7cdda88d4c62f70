import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingModule } from '@traceshop/messaging';
import { HealthModule, LoggingModule, PostgresModule, validateWith } from '@traceshop/platform';
import { join } from 'node:path';
import { configSchema } from './config';
import { PaymentConsumer } from './payment.consumer';
import { PaymentService } from './payment.service';
import { PaymentsController } from './payments.controller';
import { PaymentsRepository } from './payments.repository';
import { PROVIDER_CLIENT, ProviderClient } from './provider.client';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateWith(configSchema) }),
    LoggingModule,
    // Payments live in Postgres (schema "payment"); requests arrive over RabbitMQ.
    PostgresModule.forRoot({ schema: 'payment', migrationsDir: join(__dirname, 'migrations') }),
    MessagingModule,
    HealthModule,
  ],
  controllers: [PaymentsController],
  providers: [PaymentService, PaymentsRepository, PaymentConsumer, { provide: PROVIDER_CLIENT, useClass: ProviderClient }],
})
export class AppModule {}
