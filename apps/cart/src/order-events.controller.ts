import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { trace } from '@opentelemetry/api';
import { CART_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDER_DECLINED, SCENARIOS, OrderEventDto, type OrderEvent, type OrderStatus } from '@traceshop/contracts';
import { AmqpContext } from '@traceshop/messaging';
import { Flags } from '@traceshop/platform';
import { OrdersService } from './orders.service';

/** The order statuses each order event may record: a declined event says which in its body. */
const STATUSES: Record<string, OrderStatus[]> = {
  [ORDER_CONFIRMED]: ['paid'],
  [ORDER_DECLINED]: ['declined', 'failed'],
};

/**
 * Writes the order when the gateway publishes the outcome of a checkout. Each message is
 * processed inside the amqplib instrumentation's "process" span, a child of the publisher's.
 */
@Controller()
export class OrderEventsController {
  private readonly logger = new Logger(OrderEventsController.name);

  constructor(
    private readonly orders: OrdersService,
    private readonly flags: Flags,
  ) {}

  /** Each event of CART_ORDER_EVENTS_QUEUE (the AmqpTransport of libs/messaging), validated like an HTTP body. */
  @EventPattern(CART_ORDER_EVENTS_QUEUE)
  onEvent(@Payload() event: OrderEventDto, @Ctx() ctx: AmqpContext): Promise<void> {
    return this.handle(event, ctx.getRoutingKey());
  }

  async handle(event: OrderEvent, routingKey: string): Promise<void> {
    // A thrown error is retried, then dead-lettered: an event we do not understand is kept, not lost.
    const allowed = STATUSES[routingKey];
    if (!allowed) throw new Error(`unexpected routing key ${routingKey}`);
    const { status } = event;
    if (!allowed.includes(status)) throw new Error(`${routingKey} cannot record an order as ${status}`);
    trace.getActiveSpan()?.setAttributes({ 'traceshop.order.id': event.orderId, 'traceshop.order.status': status });
    let recordAs = status;
    // Scenario poison-message: this release of cart names the state of a paid order `confirmed`,
    // after its event, but the orders table's check constraint (orders_status_check) still
    // allows only paid, declined and failed: the migration never came with it. Every
    // order.confirmed fails the same way; declined ones go through. In the trace: `process
    // cart.order-events` in red, the INSERT under it failing on the constraint, twice more for
    // the retries; then the event waits in `cart.order-events.dlq`. Inventory's copy is fine.
    if (routingKey === ORDER_CONFIRMED && (await this.flags.isOn(SCENARIOS.poisonMessage))) {
      // The fix: record the status the event carries (checked against its routing key above), a
      // state the table knows, instead of a name of our own. Then replay the dead letters.
      if (!(await this.flags.fixOn(SCENARIOS.poisonMessage))) recordAs = 'confirmed' as OrderStatus;
    }
    await this.orders.record(event, recordAs);
    this.logger.log(`order ${event.orderId} recorded as ${recordAs}`);
  }
}
