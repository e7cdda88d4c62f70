import { Global, Module } from '@nestjs/common';
import { AmqpService } from './amqp.service';

/** Provides AmqpService (AMQP_URL) to the whole app. */
@Global()
@Module({ providers: [AmqpService], exports: [AmqpService] })
export class MessagingModule {}
