import {
  CART_ORDER_EVENTS_QUEUE,
  DEAD_LETTER_EXCHANGE,
  INVENTORY_ORDER_EVENTS_QUEUE,
  ORDERS_EXCHANGE,
  PAYMENT_REQUESTS_QUEUE,
} from '@traceshop/contracts';
import type { Channel } from 'amqplib';

/** The work queues; each dead-letters to `<queue>.dlq` through the dead-letter exchange. */
export const WORK_QUEUES = [PAYMENT_REQUESTS_QUEUE, CART_ORDER_EVENTS_QUEUE, INVENTORY_ORDER_EVENTS_QUEUE];

/**
 * Declares every exchange, queue and binding (idempotent). Every service declares the whole
 * topology at start-up, so start order never matters and no message is published into the void.
 */
export async function assertTopology(channel: Channel): Promise<void> {
  await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
  await channel.assertExchange(ORDERS_EXCHANGE, 'topic', { durable: true });
  for (const queue of WORK_QUEUES) {
    await channel.assertQueue(`${queue}.dlq`, { durable: true });
    await channel.bindQueue(`${queue}.dlq`, DEAD_LETTER_EXCHANGE, queue);
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE, 'x-dead-letter-routing-key': queue },
    });
  }
  await channel.bindQueue(CART_ORDER_EVENTS_QUEUE, ORDERS_EXCHANGE, 'order.*');
  await channel.bindQueue(INVENTORY_ORDER_EVENTS_QUEUE, ORDERS_EXCHANGE, 'order.*');
}
