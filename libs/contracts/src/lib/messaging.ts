import type { CartItem, OrderStatus } from './http';

/**
 * RabbitMQ topology shared by producers and consumers. Every queue is durable and dead-letters
 * to DEAD_LETTER_EXCHANGE, where a `<queue>.dlq` keeps what could not be processed.
 */
export const DEAD_LETTER_EXCHANGE = 'traceshop.dlx';

/** Payment requests: the gateway sends, payment replies to the message's `replyTo`. */
export const PAYMENT_REQUESTS_QUEUE = 'payment.requests';

/** Order events: a topic exchange; each consumer has its own queue bound to `order.*`. */
export const ORDERS_EXCHANGE = 'orders';
export const ORDER_CONFIRMED = 'order.confirmed';
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

export interface PaymentReply {
  orderId: string;
  paymentId: string;
  status: 'approved' | 'declined' | 'error';
  reason?: string;
}

export interface OrderEvent {
  orderId: string;
  userId: string;
  reservationId: string;
  status: OrderStatus;
  items: CartItem[];
  totalCents: number;
}
