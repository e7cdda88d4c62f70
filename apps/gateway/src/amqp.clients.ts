import type { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ORDERS_EXCHANGE } from '@traceshop/contracts';
import { AmqpClient, AmqpService } from '@traceshop/messaging';

/** `send(PAYMENT_REQUESTS_QUEUE, request)`: payment's answer, or PAYMENT_TIMEOUT_MS without one. */
export const PAYMENTS_CLIENT = Symbol('PAYMENTS_CLIENT');
/** `emit(routingKey, new AmqpRecord(event, {messageId}))` on the orders exchange (the outbox relay's). */
export const ORDER_EVENTS_CLIENT = Symbol('ORDER_EVENTS_CLIENT');

/** The gateway's RabbitMQ clients: Nest ClientProxies over the service's one AmqpService connection. */
export const AMQP_CLIENTS: Provider[] = [
  {
    provide: PAYMENTS_CLIENT,
    inject: [AmqpService, ConfigService],
    useFactory: (amqp: AmqpService, config: ConfigService) => new AmqpClient(amqp, { timeoutMs: config.getOrThrow<number>('PAYMENT_TIMEOUT_MS') }),
  },
  {
    provide: ORDER_EVENTS_CLIENT,
    inject: [AmqpService],
    useFactory: (amqp: AmqpService) => new AmqpClient(amqp, { exchange: ORDERS_EXCHANGE }),
  },
];
