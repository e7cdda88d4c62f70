import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { context, Link, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { inSpan } from '@traceshop/platform';
import { InventoryRepository, type ExpiredReservation } from './inventory.repository';
import { InventoryService } from './inventory.service';
import type { PaymentOutcome } from '@traceshop/contracts';
import { PAYMENT_CLIENT, type PaymentClient } from './payment.client';

const tracer = trace.getTracer('inventory');

/** Expired reservations decided per sweep, at most: one sweep never holds the others up for long. */
const BATCH = 20;

/** What the sweeper did with an expired reservation (`traceshop.reservation.decision`). */
type Decision = 'released' | 'kept_paid' | 'kept_unknown';

/**
 * Payment's reconciliation decides. Not paid and never to be (declined, or voided: payment never
 * saw the order, or the provider never charged it, and now it never will): the stock goes back on
 * sale. Paid: kept, its `order.confirmed` is on its way through the gateway's outbox. Not known
 * yet (the provider cannot be asked, payment unreachable): kept, because a guess could sell stock
 * that was paid for; the gateway reconciles such an order.
 */
function decide(payment: PaymentOutcome['status'] | 'unreachable'): Decision {
  if (payment === 'declined' || payment === 'voided') return 'released';
  return payment === 'approved' ? 'kept_paid' : 'kept_unknown';
}

/**
 * Expires the reservations nobody settled: a checkout that died between reserving and publishing
 * its outcome would otherwise hold the stock for ever. Every RESERVATION_SWEEP_INTERVAL_MS it takes
 * up the held reservations older than RESERVATION_TTL_SECONDS and asks payment about each order.
 *
 * In Jaeger: one trace per expired reservation, rooted at `inventory.expire_reservation`, with a span
 * link to the checkout that reserved it (the request that started it is long gone, so it is not
 * its parent). A sweep that finds nothing leaves no trace at all: its query runs without a parent
 * span, and the pg instrumentation (requireParentSpan) makes none.
 */
@Injectable()
export class ReservationSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReservationSweeper.name);
  private readonly ttlSeconds: number;
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private sweeping: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly repository: InventoryRepository,
    private readonly inventory: InventoryService,
    @Inject(PAYMENT_CLIENT) private readonly payment: PaymentClient,
    config: ConfigService,
  ) {
    this.ttlSeconds = config.getOrThrow<number>('RESERVATION_TTL_SECONDS');
    this.intervalMs = config.getOrThrow<number>('RESERVATION_SWEEP_INTERVAL_MS');
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  /** Stops before the pool closes (onApplicationShutdown), letting a sweep under way finish. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  /** One sweep after another, never two at once: the next is scheduled when this one ends. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweeping = context
        .with(ROOT_CONTEXT, () => this.sweep())
        .catch((e) => this.logger.warn(`reservation sweep failed: ${(e as Error).message}`))
        .finally(() => this.schedule());
    }, this.intervalMs);
  }

  /** One pass: the expired reservations of this pass, each decided in its own trace. */
  async sweep(): Promise<void> {
    const expired = await this.repository.leaseExpired(this.ttlSeconds, BATCH);
    for (const reservation of expired) {
      if (this.stopped) return; // the rest are asked about again a TTL later
      await this.expire(reservation);
    }
  }

  private expire({ reservationId, orderId, traceContext }: ExpiredReservation): Promise<void> {
    const attributes = { 'traceshop.order.id': orderId, 'traceshop.reservation.id': reservationId };
    const options = { root: true, attributes, links: linkTo(traceContext) };
    return inSpan(tracer, 'inventory.expire_reservation', options, async (span) => {
      const payment = await this.payment.outcomeOf(orderId).catch((e: Error) => {
        this.logger.warn(`expired reservation ${reservationId} of order ${orderId}: ${e.message}; kept`);
        return 'unreachable' as const;
      });
      const decision = decide(payment);
      span.setAttributes({ 'traceshop.payment.status': payment, 'traceshop.reservation.decision': decision });
      if (decision !== 'released') {
        this.logger.debug(`reservation ${reservationId} of order ${orderId} expired (payment: ${payment}): ${decision}`);
        return;
      }
      // The same settle as order.declined: the stock goes back on sale. If an order event got
      // there first, the status guard leaves its settlement alone.
      const released = await this.inventory.settle(orderId, 'released');
      if (released) this.logger.log(`reservation ${reservationId} of order ${orderId} expired after ${this.ttlSeconds} s (payment: ${payment}): released`);
      else span.addEvent('settled meanwhile: nothing to release');
    }, ROOT_CONTEXT).catch((e: Error) => {
      this.logger.warn(`expiring reservation ${reservationId} of order ${orderId} failed: ${e.message}`); // on its span too
    });
  }
}

/** A link to the checkout that reserved, from the stored W3C carrier (none when it was not kept). */
function linkTo(carrier: Record<string, string> | null): Link[] {
  if (!carrier) return [];
  const linked = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
  return linked && trace.isSpanContextValid(linked) ? [{ context: linked }] : [];
}
