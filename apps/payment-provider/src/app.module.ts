import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { FlagsModule, HealthModule, LoggingModule, validateWith } from '@traceshop/platform';
import { ChargesController } from './charges.controller';
import { ChargesService } from './charges.service';
import { configSchema } from './config';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateWith(configSchema) }),
    LoggingModule,
    FlagsModule,
    // An external processor's sandbox: no Postgres, Redis or RabbitMQ, so /health/ready checks nothing else.
    HealthModule,
  ],
  controllers: [ChargesController],
  providers: [ChargesService],
})
export class AppModule {}
