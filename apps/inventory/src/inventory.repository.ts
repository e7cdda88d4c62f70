import { Inject, Injectable } from '@nestjs/common';
import { SCENARIOS, type Product, type Reservation } from '@traceshop/contracts';
import { Flags, inTransaction, PG_POOL } from '@traceshop/platform';
import type { Pool } from 'pg';

/** What an attempt to reserve came to; the service turns the failures into 404 / 409. */
export type ReserveOutcome =
  | { result: 'held' | 'replayed'; reservation: Reservation }
  | { result: 'unknown_sku'; sku: string }
  | { result: 'insufficient_stock'; sku: string };

/** A held reservation past its time, as the sweeper took it up. */
export interface ExpiredReservation {
  reservationId: string;
  orderId: string;
  /** The W3C trace context of the checkout that reserved it (null for reservations made before it was kept). */
  traceContext: Record<string, string> | null;
}

const PRODUCT_COLUMNS = `p.sku, p.name, p.price_cents AS "priceCents", p.currency, s.on_hand - s.reserved AS available`;

/** Products, stock and reservations in Postgres (schema inventory). Values are always bound parameters. */
@Injectable()
export class InventoryRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly flags: Flags,
  ) {}

  async products(): Promise<Product[]> {
    // Scenario n-plus-one: the list is read as "which skus are there", then product by product,
    // the way a per-item loader does it. Under GET /products the trace shows a ladder of
    // identical `SELECT … WHERE p.sku = $1` spans, one per product, where one query used to be.
    if (await this.flags.isOn(SCENARIOS.nPlusOne)) {
      const { rows: skus } = await this.pool.query<{ sku: string }>(`SELECT sku FROM products ORDER BY sku`);
      // Fix fix.n-plus-one: the loader takes the whole list of skus and asks for them in one
      // query, so the round trips stop growing with the catalogue: one `SELECT … WHERE p.sku =
      // ANY($1)` span under GET /products instead of the ladder.
      if (await this.flags.fixOn(SCENARIOS.nPlusOne)) return this.productsOf(skus.map((row) => row.sku));
      const products: Product[] = [];
      for (const { sku } of skus) {
        const product = await this.product(sku);
        if (product) products.push(product);
      }
      return products;
    }
    const { rows } = await this.pool.query<Product>(
      `SELECT ${PRODUCT_COLUMNS} FROM products p JOIN stock s USING (sku) ORDER BY p.sku`,
    );
    return rows;
  }

  /** The products of these skus, in sku order, in one query (unknown skus are left out). */
  async productsOf(skus: string[]): Promise<Product[]> {
    const { rows } = await this.pool.query<Product>(
      `SELECT ${PRODUCT_COLUMNS} FROM products p JOIN stock s USING (sku) WHERE p.sku = ANY($1) ORDER BY p.sku`,
      [skus],
    );
    return rows;
  }

  async product(sku: string): Promise<Product | undefined> {
    const { rows } = await this.pool.query<Product>(
      `SELECT ${PRODUCT_COLUMNS} FROM products p JOIN stock s USING (sku) WHERE p.sku = $1`,
      [sku],
    );
    return rows[0];
  }

  /**
   * Reserves every item or nothing, in one transaction. `quantities` has one entry per sku.
   * A second call for the same order reserves nothing and returns the first reservation as it
   * stands now (`released` included: the gateway relies on seeing it). `traceContext` (a W3C
   * carrier) is kept with the reservation, for the sweeper's span link.
   */
  async reserve(orderId: string, quantities: Map<string, number>, traceContext: Record<string, string>): Promise<ReserveOutcome> {
    const hotRow = await this.flags.isOn(SCENARIOS.lockContention);
    const sequenced = hotRow && (await this.flags.fixOn(SCENARIOS.lockContention));
    return inTransaction(this.pool, async (client) => {
      // Scenario lock-contention: every reservation first takes the next number from one shared
      // counter row and keeps its lock until COMMIT, so concurrent checkouts run one at a time.
      // In the trace, each `inventory.reserve` starts with a `SELECT … FROM counters … FOR UPDATE`
      // that waits for all the reservations ahead of it: a staircase.
      // Fix fix.lock-contention: the number comes from a sequence. nextval locks nothing until
      // COMMIT (it is never rolled back: a refused reservation leaves a gap, which a running
      // count can live with), so reservations of different products run side by side again:
      // one short `SELECT nextval(…)` span and no staircase.
      if (sequenced) {
        await client.query(`SELECT nextval('reservation_numbers')`);
      } else if (hotRow) {
        await client.query(`SELECT value FROM counters WHERE name = 'reservations' FOR UPDATE`);
        await client.query(`UPDATE counters SET value = value + 1 WHERE name = 'reservations'`);
      }
      // Claim the order first. A concurrent call for the same order waits here, on the unique
      // index, until this transaction ends; then it finds our reservation (or, if we rolled
      // back, makes its own).
      const claimed = await client.query<{ id: string }>(
        `INSERT INTO reservations (order_id, trace_context) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING RETURNING id`,
        [orderId, Object.keys(traceContext).length > 0 ? JSON.stringify(traceContext) : null],
      );
      const reservationId = claimed.rows[0]?.id;
      if (!reservationId) {
        const { rows } = await client.query<Reservation>(
          `SELECT id AS "reservationId", order_id AS "orderId", status FROM reservations WHERE order_id = $1`,
          [orderId],
        );
        return { result: 'replayed', reservation: rows[0] };
      }

      // Lock the stock rows in sku order: two checkouts that share skus then queue one behind
      // the other instead of deadlocking. The wait shows up as a slow SELECT in the trace.
      const skus = [...quantities.keys()].sort();
      const { rows: stock } = await client.query<{ sku: string; available: number }>(
        `SELECT sku, on_hand - reserved AS available FROM stock WHERE sku = ANY($1) ORDER BY sku FOR UPDATE`,
        [skus],
      );
      const available = new Map(stock.map((row) => [row.sku, row.available]));
      for (const sku of skus) {
        if (!available.has(sku)) return { result: 'unknown_sku', sku };
        if (available.get(sku)! < quantities.get(sku)!) return { result: 'insufficient_stock', sku };
      }

      const counts = skus.map((sku) => quantities.get(sku)!);
      await client.query(
        `UPDATE stock SET reserved = reserved + x.quantity
         FROM unnest($1::text[], $2::int[]) AS x(sku, quantity) WHERE stock.sku = x.sku`,
        [skus, counts],
      );
      await client.query(
        `INSERT INTO reservation_items (reservation_id, sku, quantity)
         SELECT $1, x.sku, x.quantity FROM unnest($2::text[], $3::int[]) AS x(sku, quantity)`,
        [reservationId, skus, counts],
      );
      return { result: 'held', reservation: { reservationId, orderId, status: 'held' } };
    }, (outcome) => outcome.result === 'held'); // a refused reservation also un-claims the order
  }

  /**
   * Moves a held reservation to committed (the goods leave: on_hand and reserved go down) or
   * released (back on sale: reserved goes down). Returns false when there was no held
   * reservation for the order, e.g. on a redelivered event: then nothing changes.
   */
  settle(orderId: string, status: 'committed' | 'released'): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // The status guard makes this idempotent; the row lock makes a concurrent duplicate wait
      // and then find nothing left to do.
      const { rows } = await client.query<{ id: string }>(
        `UPDATE reservations SET status = $2 WHERE order_id = $1 AND status = 'held' RETURNING id`,
        [orderId, status],
      );
      const reservationId = rows[0]?.id;
      if (!reservationId) return false;
      // Same lock order as reserve(), so settling never deadlocks with a new reservation.
      await client.query(
        `SELECT 1 FROM stock WHERE sku IN (SELECT sku FROM reservation_items WHERE reservation_id = $1)
         ORDER BY sku FOR UPDATE`,
        [reservationId],
      );
      await client.query(
        `UPDATE stock SET reserved = reserved - i.quantity,
                          on_hand = on_hand - CASE WHEN $2 = 'committed' THEN i.quantity ELSE 0 END
         FROM reservation_items i WHERE i.reservation_id = $1 AND stock.sku = i.sku`,
        [reservationId, status],
      );
      return true;
    });
  }

  /** The status of the order's reservation, if it has one. */
  async statusOf(orderId: string): Promise<Reservation['status'] | undefined> {
    const { rows } = await this.pool.query<{ status: Reservation['status'] }>(`SELECT status FROM reservations WHERE order_id = $1`, [orderId]);
    return rows[0]?.status;
  }

  /**
   * Takes up to `limit` held reservations older than `ttlSeconds`, oldest first, and leases them
   * by stamping expiry_checked_at: another inventory instance skips the rows locked here and,
   * once this commits, finds them stamped. One that stays held is taken up again a TTL later.
   */
  async leaseExpired(ttlSeconds: number, limit: number): Promise<ExpiredReservation[]> {
    const { rows } = await this.pool.query<ExpiredReservation>(
      `UPDATE reservations SET expiry_checked_at = now()
       WHERE id IN (
         SELECT id FROM reservations
         WHERE status = 'held' AND created_at <= now() - make_interval(secs => $1)
           AND (expiry_checked_at IS NULL OR expiry_checked_at <= now() - make_interval(secs => $1))
         ORDER BY created_at LIMIT $2
         FOR UPDATE SKIP LOCKED)
       RETURNING id AS "reservationId", order_id AS "orderId", trace_context AS "traceContext"`,
      [ttlSeconds, limit],
    );
    return rows;
  }
}
