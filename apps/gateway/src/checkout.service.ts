import { BadRequestException, GatewayTimeoutException, HttpStatus, Injectable, BadGatewayException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { trace } from '@opentelemetry/api';
import {
  CardDto,
  ORDER_CONFIRMED,
  ORDER_DECLINED,
  OrderEvent,
  ORDERS_EXCHANGE,
  PAYMENT_REQUESTS_QUEUE,
  PaymentReply,
  PaymentRequest,
} from '@traceshop/contracts';
import { AmqpService, ReplyTimeoutError } from '@traceshop/messaging';
import { createHash, randomUUID } from 'node:crypto';
import type { User } from './auth.guard';
import { CartClient } from './cart.client';
import { IdempotencyStore, StoredResult } from './idempotency.store';
import { InventoryClient } from './inventory.client';

/**
 * The checkout, orchestrated by the gateway: read the cart, reserve the stock, ask payment to
 * charge (RabbitMQ request/reply), then publish the outcome as an order event that cart
 * (writes the order, clears the cart) and inventory (commits or releases the stock) consume.
 */
@Injectable()
export class CheckoutService {
  private readonly paymentTimeoutMs: number;

  constructor(
    private readonly cart: CartClient,
    private readonly inventory: InventoryClient,
    private readonly amqp: AmqpService,
    private readonly idempotency: IdempotencyStore,
    config: ConfigService,
  ) {
    this.paymentTimeoutMs = config.getOrThrow<number>('PAYMENT_TIMEOUT_MS');
  }

  async checkout(user: User, card: CardDto, idempotencyKey?: string): Promise<StoredResult> {
    if (!idempotencyKey) return this.run(user, card, randomUUID());
    const earlier = await this.idempotency.claim(user.userId, idempotencyKey);
    if (earlier) return earlier;
    try {
      const result = await this.run(user, card, orderIdFor(user.userId, idempotencyKey));
      await this.idempotency.complete(user.userId, idempotencyKey, result);
      return result;
    } catch (e) {
      await this.idempotency.release(user.userId, idempotencyKey);
      throw e;
    }
  }

  private async run(user: User, card: CardDto, orderId: string): Promise<StoredResult> {
    const span = trace.getActiveSpan();
    span?.setAttribute('traceshop.order.id', orderId);

    const cart = await this.cart.get(user.userId);
    if (cart.items.length === 0) throw new BadRequestException('the cart is empty');
    span?.setAttribute('traceshop.order.total_cents', cart.totalCents);

    // 409 from inventory (not enough stock) goes back to the client unchanged.
    const reservation = await this.inventory.reserve({
      orderId,
      items: cart.items.map(({ sku, quantity }) => ({ sku, quantity })),
    });

    const request: PaymentRequest = { orderId, userId: user.userId, amountCents: cart.totalCents, currency: 'EUR', card };
    let reply: PaymentReply;
    try {
      reply = await this.amqp.request<PaymentReply>(PAYMENT_REQUESTS_QUEUE, request, this.paymentTimeoutMs);
    } catch (e) {
      // The request expires unprocessed, or payment's reply is late: the outcome is unknown, so
      // the reservation stays held and a retry with the same Idempotency-Key settles it.
      if (e instanceof ReplyTimeoutError) throw new GatewayTimeoutException('payment did not answer in time');
      throw e;
    }
    span?.setAttribute('traceshop.payment.status', reply.status);

    const event: OrderEvent = {
      orderId,
      userId: user.userId,
      reservationId: reservation.reservationId,
      status: reply.status === 'approved' ? 'paid' : 'declined',
      items: cart.items,
      totalCents: cart.totalCents,
    };
    // Published with broker confirms: once this returns, the order cannot be lost.
    await this.amqp.publish(ORDERS_EXCHANGE, reply.status === 'approved' ? ORDER_CONFIRMED : ORDER_DECLINED, event, orderId);

    if (reply.status === 'approved') {
      return { status: HttpStatus.CREATED, body: { orderId, status: 'paid', totalCents: cart.totalCents } };
    }
    if (reply.status === 'declined') {
      return { status: HttpStatus.PAYMENT_REQUIRED, body: { orderId, status: 'declined' } };
    }
    throw new BadGatewayException('the payment provider is unavailable; nothing was charged');
  }
}

/** The same user and Idempotency-Key always give the same order id (a UUID-shaped hash). */
function orderIdFor(userId: string, key: string): string {
  const h = createHash('sha256').update(`${userId}\n${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
