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
    // Only the first delivery clears the cart: a redelivery, maybe after the user has started a
    // new cart, must not empty it. (If the process dies between the two steps, the cart stays
    // full; it is a cart, the order is safe.)
    if (inserted && status === 'paid') await this.carts.clear(event.userId);
  }
}
