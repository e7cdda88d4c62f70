/**
 * Bodies that cross a process over HTTP between our own services. The public API's request
 * bodies are validated by DTO classes in the gateway; these are the internal contracts.
 */

/** auth: POST /introspect */
export interface IntrospectRequest {
  token: string;
}
export interface IntrospectResponse {
  active: boolean;
  userId?: string;
  email?: string;
}

/** auth: POST /users and POST /sessions */
export interface Credentials {
  email: string;
  password: string;
}
export interface UserView {
  id: string;
  email: string;
}
export interface SessionView {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** inventory: GET /products */
export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  available: number;
}

/** cart: GET /carts/:userId, PUT/DELETE /carts/:userId/items/:sku */
export interface CartItem {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}
export interface Cart {
  items: CartItem[];
  totalCents: number;
}

/** inventory: POST /reservations */
export interface ReservationRequest {
  orderId: string;
  items: { sku: string; quantity: number }[];
}
export interface Reservation {
  reservationId: string;
  orderId: string;
  status: 'held' | 'committed' | 'released';
}

/** cart: GET /users/:userId/orders/:orderId (404 when missing or another user's) */
export type OrderStatus = 'paid' | 'declined';
export interface Order {
  orderId: string;
  userId: string;
  status: OrderStatus;
  items: CartItem[];
  totalCents: number;
}

/** payment-provider: POST /charges (shaped like a card processor's sandbox API) */
export interface ChargeRequest {
  amountCents: number;
  currency: string;
  cardNumber: string;
  expMonth: number;
  expYear: number;
  cvc: string;
  reference: string;
}
export interface ChargeResponse {
  chargeId: string;
  status: 'approved' | 'declined';
  declineCode?: string;
}

/** The error body every service returns. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}
