import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { INVENTORY_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDER_DECLINED, OrderEventDto, type OrderEvent } from '@traceshop/contracts';
import { AmqpContext } from '@traceshop/messaging';
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
@Controller()
export class OrderEventsController {
  private readonly logger = new Logger(OrderEventsController.name);

  constructor(private readonly inventory: InventoryService) {}

  /** Each event of INVENTORY_ORDER_EVENTS_QUEUE (the AmqpTransport of libs/messaging), validated like an HTTP body. */
  @EventPattern(INVENTORY_ORDER_EVENTS_QUEUE)
  onEvent(@Payload() event: OrderEventDto, @Ctx() ctx: AmqpContext): Promise<void> {
    return this.handle(event, ctx.getRoutingKey());
  }

  async handle(event: OrderEvent, routingKey: string): Promise<void> {
    const status = SETTLEMENTS[routingKey];
    // Thrown errors dead-letter the message: an event we do not understand is kept, not lost.
    if (!status) throw new Error(`unexpected routing key ${routingKey}`);
    const span = trace.getActiveSpan();
    span?.setAttributes({ 'traceshop.order.id': event.orderId, 'traceshop.reservation.status': status });
    if (await this.inventory.settle(event.orderId, status)) return;

    const current = await this.inventory.reservationStatus(event.orderId);
    if (status === 'committed' && current !== 'committed') {
      // A paid order whose stock is not committed: its reservation expired and was released
      // (payment had no answer for it then), or it never had one. Redelivering cannot fix that
      // and a dead letter would bury it, so it is logged for the audit and the span marked.
      const problem = `${routingKey} for order ${event.orderId}: reservation ${current ?? 'missing'}, a paid order whose stock was not committed`;
      span?.setStatus({ code: SpanStatusCode.ERROR, message: problem });
      this.logger.error(problem);
      return;
    }
    this.logger.log(`${routingKey} for order ${event.orderId}: no held reservation (${current ?? 'none'}), nothing to do`);
  }
}
