import { Injectable, NotFoundException } from '@nestjs/common';
import type { Order, OrderEvent, OrderStatus } from '@traceshop/contracts';
import { CartService } from './cart.service';
import { OrdersRepository } from './orders.repository';

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly carts: CartService,
  ) {}

  /** Someone else's order is answered like a missing one: 404, so order ids cannot be probed. */
  async find(userId: string, orderId: string): Promise<Order> {
    const order = await this.orders.find(userId, orderId);
    if (!order) throw new NotFoundException('order not found');
    return order;
  }

  /**
   * Records the outcome of a checkout. A paid order empties the cart; a declined one keeps it so
   * the user can try again.
   */
  async record(event: OrderEvent, status: OrderStatus): Promise<void> {
    const inserted = await this.orders.insert(event, status);
    // Only the first delivery takes the order out of the cart, and only the lines still as they
    // were ordered: the event may come long after the checkout (held in the gateway's outbox
    // through a broker outage), when the user has started the next cart. (If the process dies
    // between the two steps, the lines stay; it is a cart, the order is safe.)
    if (inserted && status === 'paid') await this.carts.removeOrdered(event.userId, event.items);
  }
}
