import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@traceshop/platform';
import type { Pool } from 'pg';

/** `approved`, `declined` and `voided` are final; `pending` and `error` mean the outcome is not known yet. */
export type PaymentStatus = 'pending' | 'approved' | 'declined' | 'error' | 'voided';

/**
 * A row of `payments`, as the code sees it. The amount and card are null only on a tombstone: an
 * order reconciled as voided before any payment request for it arrived (see the migration).
 */
export interface Payment {
  id: string;
  orderId: string;
  status: PaymentStatus;
  amountCents: number | null;
  cardLast4: string | null;
  declineCode: string | null;
}

/** What is known before the provider is asked. */
export interface NewPayment {
  orderId: string;
  userId: string;
  amountCents: number;
  currency: string;
  cardLast4: string;
  cardFingerprint: string;
}

const COLUMNS = `id, order_id AS "orderId", status, amount_cents AS "amountCents", card_last4 AS "cardLast4", decline_code AS "declineCode"`;

/** Payments in Postgres (schema payment). Values are always bound parameters, never in the SQL text. */
@Injectable()
export class PaymentsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Inserts a pending payment for the order, or returns the order's existing one: a redelivery,
   * or the tombstone of an order already reconciled as voided.
   */
  async claim(p: NewPayment): Promise<Payment> {
    const { rows } = await this.pool.query<Payment>(
      `INSERT INTO payments (order_id, user_id, amount_cents, currency, card_last4, card_fingerprint)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (order_id) DO NOTHING RETURNING ${COLUMNS}`,
      [p.orderId, p.userId, p.amountCents, p.currency, p.cardLast4, p.cardFingerprint],
    );
    return rows[0] ?? (await this.findByOrderId(p.orderId))!;
  }

  /**
   * The order's payment, or, when it has none, a tombstone: a voided row with only the order id,
   * so a payment request arriving later finds it in claim() and charges nothing. The same unique
   * order_id decides which of the two came first.
   */
  async voidUnlessClaimed(orderId: string): Promise<Payment> {
    const { rows } = await this.pool.query<Payment>(
      `INSERT INTO payments (order_id, status) VALUES ($1, 'voided') ON CONFLICT (order_id) DO NOTHING RETURNING ${COLUMNS}`,
      [orderId],
    );
    return rows[0] ?? (await this.findByOrderId(orderId))!;
  }

  async findByOrderId(orderId: string): Promise<Payment | undefined> {
    const { rows } = await this.pool.query<Payment>(`SELECT ${COLUMNS} FROM payments WHERE order_id = $1`, [orderId]);
    return rows[0];
  }

  /**
   * How many payments this card made in the last 24 hours. There is no index on
   * card_fingerprint (see the migration): a sequential scan of `payments`, cheap at this size. The
   * slow-checkout lab's slow query is another one, FraudHistoryRepository's on `fraud_history`.
   */
  async countRecentByCard(cardFingerprint: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM payments WHERE card_fingerprint = $1 AND created_at > now() - interval '24 hours'`,
      [cardFingerprint],
    );
    return rows[0].n;
  }

  /**
   * Records the outcome. An approved, declined or voided payment is final and never changes
   * again, so a late duplicate that failed, or a charge that raced a reconcile, cannot overwrite
   * it; the row as it now stands is returned.
   */
  async settle(id: string, status: Exclude<PaymentStatus, 'pending'>, providerChargeId?: string, declineCode?: string): Promise<Payment> {
    const { rows } = await this.pool.query<Payment>(
      `UPDATE payments SET status = $2, provider_charge_id = $3, decline_code = $4, updated_at = now()
       WHERE id = $1 AND status IN ('pending', 'error') RETURNING ${COLUMNS}`,
      [id, status, providerChargeId ?? null, declineCode ?? null],
    );
    if (rows[0]) return rows[0];
    const { rows: current } = await this.pool.query<Payment>(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]);
    return current[0];
  }
}
