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

/**
 * cart: GET /users/:userId/orders/:orderId (404 when missing or another user's).
 * `failed`: the payment could not be made and nothing was charged (not a decline by the bank).
 */
export type OrderStatus = 'paid' | 'declined' | 'failed';
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

/**
 * payment-provider: POST /charges/lookup with the charge's Idempotency-Key header: what became of
 * that charge. `voided`: the processor never charged with this key, and from now on it refuses to
 * (a late request with it gets 409), so "not charged" stays true.
 */
export interface ChargeLookup {
  status: 'approved' | 'declined' | 'voided';
  chargeId?: string;
  declineCode?: string;
}

/**
 * payment: POST /payments/:orderId/reconcile — the settled outcome of an order's payment, asking
 * the provider (same Idempotency-Key) when payment itself does not know. `voided`: nothing was
 * or will be charged for this order. `unknown`: the provider could not be asked; try later.
 */
export interface PaymentOutcome {
  orderId: string;
  status: 'approved' | 'declined' | 'voided' | 'unknown';
  reason?: string;
}

/** The error body every service returns. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}
