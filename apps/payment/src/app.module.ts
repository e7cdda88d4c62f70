import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingModule } from '@traceshop/messaging';
import { FlagsModule, HealthModule, LoggingModule, PostgresModule, validateWith } from '@traceshop/platform';
import { join } from 'node:path';
import { configSchema } from './config';
import { FraudHistoryRepository } from './fraud-history.repository';
import { PaymentRequestsController } from './payment-requests.controller';
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
    FlagsModule,
    HealthModule,
  ],
  // HTTP (the payments view, reconciliation) and RabbitMQ (payment requests) alike.
  controllers: [PaymentsController, PaymentRequestsController],
  providers: [PaymentService, PaymentsRepository, FraudHistoryRepository, { provide: PROVIDER_CLIENT, useClass: ProviderClient }],
})
export class AppModule {}
