import type { CartItem, OrderStatus } from './http';

/**
 * RabbitMQ topology shared by producers and consumers. Every queue is durable and dead-letters
 * to DEAD_LETTER_EXCHANGE, where a `<queue>.dlq` keeps what could not be processed.
 */
export const DEAD_LETTER_EXCHANGE = 'traceshop.dlx';
/**
 * How often a consumer tries a failing message again before it is dead-lettered (libs/messaging
 * applies it): a message is tried 1 + MAX_RETRIES times, each try its own `process` span.
 */
export const MAX_RETRIES = 2;

/** Payment requests: the gateway sends, payment replies to the message's `replyTo`. */
export const PAYMENT_REQUESTS_QUEUE = 'payment.requests';

/** Order events: a topic exchange; each consumer has its own queue bound to `order.*`. */
export const ORDERS_EXCHANGE = 'orders';
/** Paid: cart records the order and clears the cart, inventory commits the stock. */
export const ORDER_CONFIRMED = 'order.confirmed';
/** Not paid (status `declined` or `failed`): cart records the order, inventory releases the stock. */
export const ORDER_DECLINED = 'order.declined';
export const CART_ORDER_EVENTS_QUEUE = 'cart.order-events';
export const INVENTORY_ORDER_EVENTS_QUEUE = 'inventory.order-events';

export interface PaymentRequest {
  /** The idempotency key: a redelivered request with the same orderId never charges twice. */
  orderId: string;
  userId: string;
  amountCents: number;
  currency: string;
  card: { cardNumber: string; expMonth: number; expYear: number; cvc: string };
}

/**
 * `error`: the provider's answer is unknown (a timeout may still have charged): not final, the
 * gateway reconciles it. `voided`: the order's payment was reconciled as never charged before this
 * request was processed, so it charged nothing.
 */
export interface PaymentReply {
  orderId: string;
  paymentId: string;
  status: 'approved' | 'declined' | 'error' | 'voided';
  reason?: string;
}

export interface OrderEvent {
  orderId: string;
  userId: string;
  /** Absent when the checkout failed before its stock was held. */
  reservationId?: string;
  status: OrderStatus;
  items: CartItem[];
  totalCents: number;
}
