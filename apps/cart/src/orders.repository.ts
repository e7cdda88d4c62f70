import { Inject, Injectable } from '@nestjs/common';
import type { CartItem, Order, OrderEvent, OrderStatus } from '@traceshop/contracts';
import { inTransaction, PG_POOL } from '@traceshop/platform';
import type { Pool } from 'pg';

/** Orders in Postgres (schema cart). Values are always bound parameters, never in the SQL text. */
@Injectable()
export class OrdersRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Inserts the order with its items; returns false when it was already there (a redelivery). */
  async insert(event: OrderEvent, status: OrderStatus): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO orders (id, user_id, status, total_cents) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
        [event.orderId, event.userId, status, event.totalCents],
      );
      if (rowCount) {
        await client.query(
          `INSERT INTO order_items (order_id, sku, quantity, unit_price_cents)
           SELECT $1, x.sku, x.quantity, x.unit_price_cents FROM unnest($2::text[], $3::int[], $4::int[]) AS x(sku, quantity, unit_price_cents)`,
          [event.orderId, event.items.map((i) => i.sku), event.items.map((i) => i.quantity), event.items.map((i) => i.unitPriceCents)],
        );
      }
      return rowCount === 1;
    });
  }

  /** The order, only if it belongs to this user. */
  async find(userId: string, orderId: string): Promise<Order | undefined> {
    const { rows } = await this.pool.query<Omit<Order, 'items'>>(
      `SELECT id AS "orderId", user_id AS "userId", status, total_cents AS "totalCents" FROM orders WHERE id = $1 AND user_id = $2`,
      [orderId, userId],
    );
    if (!rows[0]) return undefined;
    const { rows: items } = await this.pool.query<CartItem>(
      `SELECT sku, quantity, unit_price_cents AS "unitPriceCents" FROM order_items WHERE order_id = $1 ORDER BY sku`,
      [orderId],
    );
    return { ...rows[0], items };
  }
}
