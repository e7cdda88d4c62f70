import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { INVENTORY_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDER_DECLINED, type OrderEvent } from '@traceshop/contracts';
import { AmqpService } from '@traceshop/messaging';
import { InventoryService } from './inventory.service';

/** What each order event does to the order's reservation. */
const SETTLEMENTS: Record<string, 'committed' | 'released'> = {
  [ORDER_CONFIRMED]: 'committed', // paid: the goods leave the warehouse
  [ORDER_DECLINED]: 'released', // not paid: the goods go back on sale
};

/**
 * Settles reservations when the gateway publishes the outcome of a checkout. Each message is
 * processed inside the amqplib instrumentation's "process" span, a child of the publisher's.
 */
@Injectable()
export class OrderEventsConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(OrderEventsConsumer.name);

  constructor(
    private readonly amqp: AmqpService,
    private readonly inventory: InventoryService,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.amqp.consume<OrderEvent>(INVENTORY_ORDER_EVENTS_QUEUE, (event, msg) => this.handle(event, msg.fields.routingKey));
  }

  async handle(event: OrderEvent, routingKey: string): Promise<void> {
    const status = SETTLEMENTS[routingKey];
    // Thrown errors dead-letter the message: an event we do not understand is kept, not lost.
    if (!status) throw new Error(`unexpected routing key ${routingKey}`);
    trace.getActiveSpan()?.setAttributes({ 'traceshop.order.id': event.orderId, 'traceshop.reservation.status': status });
    const changed = await this.inventory.settle(event.orderId, status);
    if (!changed) this.logger.log(`${routingKey} for order ${event.orderId}: no held reservation, nothing to do`);
  }
}
