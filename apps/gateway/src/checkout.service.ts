import { BadGatewayException, BadRequestException, ConflictException, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  CardDto,
  ORDER_CONFIRMED,
  ORDER_DECLINED,
  OrderEvent,
  ORDERS_EXCHANGE,
  PAYMENT_REQUESTS_QUEUE,
  PaymentOutcome,
  PaymentReply,
  PaymentRequest,
  SCENARIOS,
} from '@traceshop/contracts';
import type { ClientProxy } from '@nestjs/microservices';
import { AmqpService, BrokerUnavailableError } from '@traceshop/messaging';
import { Flags } from '@traceshop/platform';
import { createHash, randomUUID } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import { PAYMENTS_CLIENT } from './amqp.clients';
import type { User } from './auth.guard';
import { CartClient } from './cart.client';
import { CheckoutState, isOpen } from './checkout-state';
import { Checkout, CheckoutsRepository, TransitionChanges } from './checkouts.repository';
import { InventoryClient } from './inventory.client';
import { OutboxRelay } from './outbox.relay';
import { PaymentClient } from './payment.client';

/** What the client is told; `location` where to ask again when the outcome is not known yet. */
export interface CheckoutResult {
  status: number;
  body: unknown;
  location?: string;
}

const IN_PROGRESS = 'a request with this Idempotency-Key is in progress';
/** Scenario orphaned-work: how long the checkout waits for payment ("answers within a second"). */
const ORPHANED_WORK_WAIT_MS = 1_000;

/**
 * The checkout, orchestrated by the gateway as a small saga whose state is a row in Postgres
 * (checkout-state.ts has the states): read the cart, reserve the stock (inventory), ask payment
 * to charge (RabbitMQ request/reply), then record the outcome together with its order event in
 * the outbox, which the relay publishes to cart (records the order) and inventory (commits or
 * releases the stock).
 *
 * A payment whose answer is lost is never guessed: the checkout becomes `payment_unknown` and
 * the client gets 202; a retry with the same Idempotency-Key, or the reconciler, asks payment
 * what happened (payment asks the provider with the same key) and finishes it from there.
 */
@Injectable()
export class CheckoutService {
  /** How long a request may own its checkout: the reservation, the payment, and a margin. */
  private readonly leaseMs: number;

  constructor(
    private readonly cart: CartClient,
    private readonly inventory: InventoryClient,
    private readonly payment: PaymentClient,
    private readonly amqp: AmqpService,
    @Inject(PAYMENTS_CLIENT) private readonly payments: ClientProxy,
    private readonly checkouts: CheckoutsRepository,
    private readonly outbox: OutboxRelay,
    private readonly flags: Flags,
    config: ConfigService,
  ) {
    this.leaseMs = config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS') * 2 + config.getOrThrow<number>('PAYMENT_TIMEOUT_MS') + 5_000;
  }

  async checkout(user: User, card: CardDto, idempotencyKey?: string): Promise<CheckoutResult> {
    // Nothing is reserved or asked while the broker is down: 503 at once, nothing happened.
    if (!this.amqp.isConnected()) throw new BrokerUnavailableError();
    const orderId = idempotencyKey ? orderIdFor(user.userId, idempotencyKey) : randomUUID();
    trace.getActiveSpan()?.setAttribute('traceshop.order.id', orderId);
    if (idempotencyKey) {
      const earlier = await this.checkouts.find(orderId);
      if (earlier) return this.retry(earlier, user, card);
    }
    const cart = await this.cartOf(user);
    const checkout = await this.checkouts.create(
      { orderId, userId: user.userId, idempotencyKey: idempotencyKey ?? null, items: cart.items, totalCents: cart.totalCents },
      this.leaseMs,
    );
    if (!checkout) throw new ConflictException(IN_PROGRESS); // the same key, at the same moment
    return answer(await this.owning(checkout, () => this.reserveAndPay(checkout, card)));
  }

  /**
   * Finishes a checkout nobody is working on: the reconciler's job for the ones whose client
   * never came back. One that never got to payment is failed (its stock released); one whose
   * payment outcome is unknown is settled with payment. Returns the checkout as it is now, or
   * undefined when someone else holds it.
   */
  async reconcile(orderId: string, leaseMs: number): Promise<Checkout | undefined> {
    const checkout = await this.checkouts.lease(orderId, leaseMs);
    if (!checkout) return undefined;
    return this.owning(checkout, async () => {
      if (!isOpen(checkout.state)) return checkout;
      if (checkout.state === 'reserving') return this.finish(checkout, 'failed', { reason: 'abandoned before payment was asked' });
      return this.settle(checkout);
    });
  }

  /** A repeated Idempotency-Key: the recorded outcome, or the checkout continued from its state. */
  private async retry(earlier: Checkout, user: User, card: CardDto): Promise<CheckoutResult> {
    linkToStart(earlier);
    if (!isOpen(earlier.state) && earlier.state !== 'rejected') return answer(earlier);
    const checkout = await this.checkouts.lease(earlier.orderId, this.leaseMs);
    if (!checkout) throw new ConflictException(IN_PROGRESS);
    const now = await this.owning(checkout, async () => {
      switch (checkout.state) {
        case 'rejected': {
          // Nothing was held or charged: start again, from the cart as it is now.
          const cart = await this.cartOf(user);
          const again = await this.checkouts.move(checkout, 'reserving', { items: cart.items, totalCents: cart.totalCents });
          return again ? this.reserveAndPay(again, card) : this.current(checkout.orderId);
        }
        case 'reserving':
          return this.reserveAndPay(checkout, card);
        case 'payment_pending':
        case 'payment_unknown':
          // The payment request may have been taken: never send it again, ask what became of it.
          return this.settle(checkout);
        default:
          return checkout;
      }
    });
    return answer(now);
  }

  private async reserveAndPay(checkout: Checkout, card: CardDto): Promise<Checkout> {
    trace.getActiveSpan()?.setAttribute('traceshop.order.total_cents', checkout.totalCents);
    let reservation;
    try {
      reservation = await this.inventory.reserve({
        orderId: checkout.orderId,
        items: checkout.items.map(({ sku, quantity }) => ({ sku, quantity })),
      });
    } catch (e) {
      // A refusal (409 not enough stock, 404 unknown sku) holds nothing: the checkout is rejected
      // and the answer passed on. Anything else leaves it `reserving`: a retry goes on from
      // there, or the reconciler ends it and releases whatever was held.
      if (e instanceof HttpException && e.getStatus() < 500) await this.checkouts.move(checkout, 'rejected', { reason: e.message });
      throw e;
    }
    if (reservation.status !== 'held') {
      // A retry that came back after the reservation expired: nothing was charged, start anew.
      return this.finish(checkout, 'failed', { reservationId: reservation.reservationId, reason: `the reservation was ${reservation.status} before payment` });
    }
    const pending = await this.checkouts.move(checkout, 'payment_pending', { reservationId: reservation.reservationId });
    if (!pending) return this.current(checkout.orderId);

    const request: PaymentRequest = { orderId: pending.orderId, userId: pending.userId, amountCents: pending.totalCents, currency: 'EUR', card };
    let reply: PaymentReply;
    try {
      // Scenario orphaned-work: the checkout was given a budget of a second, less than the payment
      // it waits for (the processor takes ~2 s). The gateway stops waiting and answers 202 while
      // payment, which took the request in time, carries on: in the trace, payment's spans and the
      // provider's charge end after this request's root span, the charge approved after the answer.
      // (The request's deadline, `x-deadline`, is this shorter wait: payment's fix reads it.)
      reply = (await this.flags.isOn(SCENARIOS.orphanedWork))
        ? await this.amqp.request<PaymentReply>(PAYMENT_REQUESTS_QUEUE, request, ORPHANED_WORK_WAIT_MS)
        : await lastValueFrom(this.payments.send<PaymentReply>(PAYMENT_REQUESTS_QUEUE, request));
    } catch (e) {
      if (e instanceof BrokerUnavailableError) {
        // Never sent, so never charged: the stock goes back (its event waits in the outbox).
        await this.finish(pending, 'failed', { reason: 'the payment request could not be sent' });
        throw e; // 503
      }
      // No reply in time, or the reply was lost with the connection: charged or not is unknown.
      return this.unknown(pending, (e as Error).message);
    }
    trace.getActiveSpan()?.setAttribute('traceshop.payment.status', reply.status);
    return this.conclude(pending, reply.status, reply.reason);
  }

  /** Asks payment what became of the order's payment, and finishes the checkout accordingly. */
  private async settle(checkout: Checkout): Promise<Checkout> {
    let outcome: PaymentOutcome;
    try {
      outcome = await this.payment.reconcile(checkout.orderId);
    } catch (e) {
      return this.unknown(checkout, `payment could not be asked: ${(e as Error).message}`);
    }
    trace.getActiveSpan()?.setAttribute('traceshop.payment.status', outcome.status);
    return this.conclude(checkout, outcome.status, outcome.reason);
  }

  private conclude(checkout: Checkout, status: PaymentReply['status'] | PaymentOutcome['status'], reason?: string): Promise<Checkout> {
    switch (status) {
      case 'approved':
        return this.finish(checkout, 'paid', { reason });
      case 'declined':
        return this.finish(checkout, 'declined', { reason });
      case 'voided':
        return this.finish(checkout, 'failed', { reason: reason ?? 'the payment was voided: nothing was charged' });
      default: // 'error' (the provider's answer is unknown) or 'unknown' (it could not be asked)
        return this.unknown(checkout, reason ?? `payment answered ${status}`);
    }
  }

  /** Records that the payment outcome is not known yet; the client is told so (202). */
  private async unknown(checkout: Checkout, reason: string): Promise<Checkout> {
    // Still unknown: noted, and left alone for a while (the reconciler picks the least recently touched).
    if (checkout.state === 'payment_unknown') return (await this.checkouts.touch(checkout.orderId, reason)) ?? checkout;
    return (await this.checkouts.move(checkout, 'payment_unknown', { reason })) ?? this.current(checkout.orderId);
  }

  /**
   * Moves the checkout to a final state and writes its order event to the outbox in the same
   * transaction, then relays it at once (a failed relay is retried by the relay's timer).
   */
  private async finish(checkout: Checkout, to: 'paid' | 'declined' | 'failed', changes: TransitionChanges): Promise<Checkout> {
    const event: OrderEvent = {
      orderId: checkout.orderId,
      userId: checkout.userId,
      reservationId: changes.reservationId ?? checkout.reservationId ?? undefined,
      status: to,
      items: checkout.items,
      totalCents: checkout.totalCents,
    };
    const routingKey = to === 'paid' ? ORDER_CONFIRMED : ORDER_DECLINED;
    const moved = await this.checkouts.move(checkout, to, changes, { exchange: ORDERS_EXCHANGE, routingKey, messageId: checkout.orderId, payload: event });
    if (!moved) return this.current(checkout.orderId);
    await this.outbox.flush().catch(() => undefined); // the timer tries again
    return moved;
  }

  /** Someone else moved the checkout meanwhile: answer with what it is now. */
  private async current(orderId: string): Promise<Checkout> {
    const now = await this.checkouts.find(orderId);
    if (!now) throw new ConflictException(IN_PROGRESS);
    return now;
  }

  /**
   * Runs `work` while owning the checkout's lease, and gives the lease up afterwards, whatever
   * happened — unless the checkout ended paid, declined or failed: no one leases those again.
   */
  private async owning(checkout: Checkout, work: () => Promise<Checkout>): Promise<Checkout> {
    let now: Checkout | undefined;
    try {
      return (now = await work());
    } finally {
      if (!now || now.state === 'rejected' || isOpen(now.state)) await this.checkouts.release(checkout.orderId).catch(() => undefined);
    }
  }

  private async cartOf(user: User) {
    const cart = await this.cart.get(user.userId);
    if (cart.items.length === 0) throw new BadRequestException('the cart is empty');
    return cart;
  }
}

/** The client's answer for a checkout in `state`; the same for the first request and every replay. */
export function answer(checkout: Checkout): CheckoutResult {
  const { orderId, totalCents, reason } = checkout;
  trace.getActiveSpan()?.setAttribute('traceshop.checkout.state', checkout.state);
  const states: Record<CheckoutState, () => CheckoutResult> = {
    paid: () => ({ status: HttpStatus.CREATED, body: { orderId, status: 'paid', totalCents } }),
    declined: () => ({ status: HttpStatus.PAYMENT_REQUIRED, body: { orderId, status: 'declined' } }),
    failed: () => {
      throw new BadGatewayException(`the payment could not be made and nothing was charged (${reason}); start a new checkout`);
    },
    // Not known yet: said so, with where to look (GET /api/orders/:id, or a retry with the same key).
    payment_unknown: () => pending(orderId),
    payment_pending: () => pending(orderId),
    reserving: () => pending(orderId),
    rejected: () => {
      throw new ConflictException(reason ?? 'the checkout was rejected');
    },
  };
  return states[checkout.state]();
}

function pending(orderId: string): CheckoutResult {
  const message = 'the payment outcome is not known yet; ask GET /api/orders/:id, or retry with the same Idempotency-Key';
  return { status: HttpStatus.ACCEPTED, body: { orderId, status: 'pending', message }, location: `/api/orders/${orderId}` };
}

/** A later span working on a checkout links to the trace of the request that started it. */
function linkToStart(checkout: Checkout) {
  const started = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, checkout.traceContext));
  if (started) trace.getActiveSpan()?.addLink({ context: started, attributes: { 'traceshop.link': 'checkout.start' } });
}

/** The same user and Idempotency-Key always give the same order id (a UUID-shaped hash). */
export function orderIdFor(userId: string, key: string): string {
  const h = createHash('sha256').update(`${userId}\n${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
