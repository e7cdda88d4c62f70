import { Inject, Injectable } from '@nestjs/common';
import { context, propagation, trace } from '@opentelemetry/api';
import type { CartItem } from '@traceshop/contracts';
import { inTransaction, PG_POOL } from '@traceshop/platform';
import type { Pool } from 'pg';
import { assertTransition, CheckoutState, OPEN_STATES } from './checkout-state';

/** A row of `checkouts`, as the code sees it. */
export interface Checkout {
  orderId: string;
  userId: string;
  idempotencyKey: string | null;
  state: CheckoutState;
  items: CartItem[];
  totalCents: number;
  reservationId: string | null;
  reason: string | null;
  /** W3C carrier (traceparent, tracestate) of the request that started the checkout. */
  traceContext: Record<string, string>;
}

export type NewCheckout = Pick<Checkout, 'orderId' | 'userId' | 'idempotencyKey' | 'items' | 'totalCents'>;

/** A message for RabbitMQ, written to the outbox with the state change that causes it. */
export interface OutboxEvent {
  exchange: string;
  routingKey: string;
  messageId: string;
  payload: unknown;
}

/** What else a transition records besides the state. */
export interface TransitionChanges {
  reservationId?: string;
  reason?: string;
  items?: CartItem[];
  totalCents?: number;
}

const COLUMNS = `order_id AS "orderId", user_id AS "userId", idempotency_key AS "idempotencyKey", state, items,
  total_cents AS "totalCents", reservation_id AS "reservationId", reason, trace_context AS "traceContext"`;

/**
 * Checkouts and the outbox in Postgres (schema gateway). A row is worked on only by whoever holds
 * its lease (a request, or the reconciler); every transition names the state it leaves, so a
 * row moved meanwhile by someone else is never moved twice.
 */
@Injectable()
export class CheckoutsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Inserts a new checkout in `reserving`, leased for `leaseMs`; undefined when its id exists already. */
  async create(c: NewCheckout, leaseMs: number): Promise<Checkout | undefined> {
    const { rows } = await this.pool.query<Checkout>(
      `INSERT INTO checkouts (order_id, user_id, idempotency_key, state, items, total_cents, trace_context, lease_until)
       VALUES ($1, $2, $3, 'reserving', $4, $5, $6, now() + $7 * interval '1 millisecond')
       ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
      [c.orderId, c.userId, c.idempotencyKey, JSON.stringify(c.items), c.totalCents, currentTraceContext(), leaseMs],
    );
    return rows[0];
  }

  async find(orderId: string): Promise<Checkout | undefined> {
    const { rows } = await this.pool.query<Checkout>(`SELECT ${COLUMNS} FROM checkouts WHERE order_id = $1`, [orderId]);
    return rows[0];
  }

  /** Takes the lease of a checkout nobody holds; undefined when someone does (or it is gone). */
  async lease(orderId: string, leaseMs: number): Promise<Checkout | undefined> {
    const { rows } = await this.pool.query<Checkout>(
      `UPDATE checkouts SET lease_until = now() + $2 * interval '1 millisecond'
       WHERE order_id = $1 AND lease_until <= now() RETURNING ${COLUMNS}`,
      [orderId, leaseMs],
    );
    return rows[0];
  }

  /** Gives the lease up, so a retry (or the reconciler) may go on at once. */
  async release(orderId: string): Promise<void> {
    await this.pool.query(`UPDATE checkouts SET lease_until = now() WHERE order_id = $1`, [orderId]);
  }

  /** Notes why the checkout is still where it is (and when it was last looked at). */
  async touch(orderId: string, reason: string): Promise<Checkout | undefined> {
    const { rows } = await this.pool.query<Checkout>(
      `UPDATE checkouts SET reason = $2, updated_at = now() WHERE order_id = $1 RETURNING ${COLUMNS}`,
      [orderId, reason],
    );
    return rows[0];
  }

  /**
   * Moves `checkout` from the state it is in to `to` (a legal transition, or this throws), and
   * writes `event` to the outbox in the same transaction, with the current trace context.
   * Undefined when the row was no longer in that state: someone else moved it first.
   */
  async move(checkout: Checkout, to: CheckoutState, changes: TransitionChanges = {}, event?: OutboxEvent): Promise<Checkout | undefined> {
    assertTransition(checkout.state, to);
    trace.getActiveSpan()?.addEvent('checkout.transition', { 'traceshop.checkout.from': checkout.state, 'traceshop.checkout.to': to });
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<Checkout>(
        `UPDATE checkouts SET state = $3, reservation_id = COALESCE($4, reservation_id), reason = $5,
           items = COALESCE($6, items), total_cents = COALESCE($7, total_cents), updated_at = now()
         WHERE order_id = $1 AND state = $2 RETURNING ${COLUMNS}`,
        [checkout.orderId, checkout.state, to, changes.reservationId ?? null, changes.reason ?? null,
          changes.items ? JSON.stringify(changes.items) : null, changes.totalCents ?? null],
      );
      if (rows[0] && event) {
        await client.query(
          `INSERT INTO outbox (exchange, routing_key, message_id, payload, trace_context) VALUES ($1, $2, $3, $4, $5)`,
          [event.exchange, event.routingKey, event.messageId, JSON.stringify(event.payload), currentTraceContext()],
        );
      }
      return rows[0];
    });
  }

  /**
   * Open checkouts nobody holds and nobody has touched for `idleMs`: the reconciler's work list.
   * (Oldest first; a few at a time, so one slow payment cannot hold up the rest for long.)
   */
  async abandoned(idleMs: number, limit = 20): Promise<string[]> {
    const { rows } = await this.pool.query<{ orderId: string }>(
      `SELECT order_id AS "orderId" FROM checkouts
       WHERE state = ANY($1) AND lease_until <= now() AND updated_at <= now() - $2 * interval '1 millisecond'
       ORDER BY updated_at LIMIT $3`,
      [OPEN_STATES, idleMs, limit],
    );
    return rows.map((r) => r.orderId);
  }
}

/** The active W3C trace context as a plain carrier, to be stored with a row. */
function currentTraceContext(): string {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return JSON.stringify(carrier);
}
