import { Client } from 'pg';
import type { AuditOptions } from './options';
import type { Invariant, Skipped, Violation } from './invariants';

/** What one source of the audit found: violations, the parts it could not check, the invariants it did. */
export interface Findings {
  violations: Violation[];
  skipped: Skipped[];
  checked: Invariant[];
}

/** The tables the checks read, by schema: each service owns one schema of the shared database. */
const TABLES = [
  'gateway.checkouts',
  'gateway.outbox',
  'payment.payments',
  'cart.orders',
  'inventory.reservations',
  'inventory.reservation_items',
  'inventory.stock',
] as const;
type Table = (typeof TABLES)[number];

const OPEN_CHECKOUT_STATES = `('reserving', 'payment_pending', 'payment_unknown')`;

/** What a part's query may use: which tables exist, and the shared subqueries built from them. */
interface Context {
  has(table: Table): boolean;
  /** The order ids with a row changed within the grace period: in flight, not yet consistent. */
  inFlight: string;
  /** The ids of paid orders, by cart's orders and the gateway's checkouts (what exists of them). */
  paid: string;
  options: AuditOptions;
}

/**
 * One part of an invariant: one query whose rows (`id`, `detail`) are violations. `needs` lists
 * the tables it reads; an inner list means "at least one of these".
 */
interface Part {
  invariant: Invariant;
  what: string;
  needs: (Table | Table[])[];
  sql(c: Context): string;
}

// Durations are whole numbers of seconds (checked by parseOptions), written into the SQL as literals.
const ago = (seconds: number) => `now() - interval '${seconds} seconds'`;
const age = (column: string) => `extract(epoch FROM now() - ${column})::int`;

const PARTS: Part[] = [
  {
    invariant: 'approved-payment-has-one-paid-order',
    what: 'an approved payment has a paid cart order',
    needs: ['payment.payments', 'cart.orders'],
    sql: (c) => `
      SELECT p.order_id::text AS id, format('payment approved, but the cart order is %s', coalesce(o.status, 'missing')) AS detail
      FROM payment.payments p LEFT JOIN cart.orders o ON o.id = p.order_id
      WHERE p.status = 'approved' AND o.status IS DISTINCT FROM 'paid' AND p.order_id NOT IN (${c.inFlight})`,
  },
  {
    invariant: 'approved-payment-has-one-paid-order',
    what: 'the checkout of an approved payment is paid',
    needs: ['payment.payments', 'gateway.checkouts'],
    sql: (c) => `
      SELECT p.order_id::text AS id, format('payment approved, but the checkout is %s', k.state) AS detail
      FROM payment.payments p JOIN gateway.checkouts k ON k.order_id = p.order_id
      WHERE p.status = 'approved' AND k.state <> 'paid' AND p.order_id NOT IN (${c.inFlight})`,
  },
  {
    invariant: 'paid-order-has-approved-payment',
    what: 'a paid cart order has an approved payment',
    needs: ['cart.orders', 'payment.payments'],
    sql: (c) => `
      SELECT o.id::text AS id, format('order paid, but the payment is %s', coalesce(p.status, 'missing')) AS detail
      FROM cart.orders o LEFT JOIN payment.payments p ON p.order_id = o.id
      WHERE o.status = 'paid' AND p.status IS DISTINCT FROM 'approved' AND o.id NOT IN (${c.inFlight})`,
  },
  {
    invariant: 'paid-order-has-approved-payment',
    what: 'a paid checkout has an approved payment',
    needs: ['gateway.checkouts', 'payment.payments'],
    sql: (c) => `
      SELECT k.order_id::text AS id, format('checkout paid, but the payment is %s', coalesce(p.status, 'missing')) AS detail
      FROM gateway.checkouts k LEFT JOIN payment.payments p ON p.order_id = k.order_id
      WHERE k.state = 'paid' AND p.status IS DISTINCT FROM 'approved' AND k.order_id NOT IN (${c.inFlight})`,
  },
  {
    // Order statuses are the names of the checkout's final states (paid, declined, failed).
    invariant: 'paid-order-has-approved-payment',
    what: "an order's status is its checkout's final state",
    needs: ['cart.orders', 'gateway.checkouts'],
    sql: (c) => `
      SELECT o.id::text AS id, format('order %s, but the checkout is %s', o.status, k.state) AS detail
      FROM cart.orders o JOIN gateway.checkouts k ON k.order_id = o.id
      WHERE o.status <> k.state AND o.id NOT IN (${c.inFlight})`,
  },
  {
    invariant: 'stock-committed-once',
    what: "a paid order's reservation is committed",
    needs: ['inventory.reservations', ['cart.orders', 'gateway.checkouts']],
    sql: (c) => `
      SELECT x.order_id::text AS id, format('order paid, but its reservation is %s', coalesce(r.status, 'missing')) AS detail
      FROM (${c.paid}) x LEFT JOIN inventory.reservations r ON r.order_id = x.order_id
      WHERE r.status IS DISTINCT FROM 'committed' AND x.order_id NOT IN (${c.inFlight})`,
  },
  {
    invariant: 'stock-committed-once',
    what: 'a committed reservation belongs to a paid order',
    needs: ['inventory.reservations', ['cart.orders', 'gateway.checkouts']],
    sql: (c) => {
      const order = c.has('cart.orders') ? `(SELECT status FROM cart.orders WHERE id = r.order_id)` : 'NULL';
      const checkout = c.has('gateway.checkouts') ? `(SELECT 'checkout ' || state FROM gateway.checkouts WHERE order_id = r.order_id)` : 'NULL';
      return `
      SELECT r.order_id::text AS id, format('reservation %s committed, but the order is %s', r.id, coalesce(${order}, ${checkout}, 'missing')) AS detail
      FROM inventory.reservations r
      WHERE r.status = 'committed' AND r.order_id NOT IN (${c.paid}) AND r.order_id NOT IN (${c.inFlight})`;
    },
  },
  {
    // One transaction moves a reservation and its stock together, so this holds at any instant.
    invariant: 'stock-committed-once',
    what: 'stock.reserved is what the held reservations hold',
    needs: ['inventory.stock', 'inventory.reservations', 'inventory.reservation_items'],
    sql: () => `
      SELECT coalesce(s.sku, h.sku) AS id,
             format('stock.reserved is %s, but held reservations hold %s', coalesce(s.reserved::text, 'missing'), coalesce(h.quantity, 0)) AS detail
      FROM inventory.stock s
      FULL JOIN (SELECT i.sku, sum(i.quantity) AS quantity
                 FROM inventory.reservation_items i JOIN inventory.reservations r ON r.id = i.reservation_id
                 WHERE r.status = 'held' GROUP BY i.sku) h ON h.sku = s.sku
      WHERE s.reserved IS DISTINCT FROM coalesce(h.quantity, 0)
      ORDER BY 1`,
  },
  {
    invariant: 'no-expired-hold',
    what: 'no reservation is held past its TTL',
    needs: ['inventory.reservations'],
    sql: ({ options: o }) => `
      SELECT r.order_id::text AS id, format('reservation %s held for %s s (TTL %s s)', r.id, ${age('r.created_at')}, ${o.reservationTtlSeconds}) AS detail
      FROM inventory.reservations r
      WHERE r.status = 'held' AND r.created_at < ${ago(o.reservationTtlSeconds + o.graceSeconds)}`,
  },
  {
    invariant: 'no-stuck-checkout',
    what: 'no checkout stays open',
    needs: ['gateway.checkouts'],
    sql: ({ options: o }) => `
      SELECT k.order_id::text AS id, format('checkout %s, untouched for %s s', k.state, ${age('k.updated_at')}) AS detail
      FROM gateway.checkouts k
      WHERE k.state IN ${OPEN_CHECKOUT_STATES} AND k.updated_at < ${ago(o.stuckAfterSeconds)}`,
  },
  {
    invariant: 'no-stuck-checkout',
    what: 'no order event stays in the outbox',
    needs: ['gateway.outbox'],
    sql: ({ options: o }) => `
      SELECT x.message_id AS id, format('outbox row %s (%s) unsent for %s s, %s attempts', x.id, x.routing_key, ${age('x.created_at')}, x.attempts) AS detail
      FROM gateway.outbox x
      WHERE x.sent_at IS NULL AND x.created_at < ${ago(o.stuckAfterSeconds)}`,
  },
];

/**
 * Runs every part of the database invariants whose tables exist, in one read-only snapshot (so
 * the services' tables are compared at one instant), and notes the parts it had to skip.
 */
export async function checkDatabase(options: AuditOptions): Promise<Findings> {
  const client = new Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 10_000, application_name: 'traceshop-audit' });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL statement_timeout = '60s'`);
    const { rows } = await client.query<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema || '.' || table_name = ANY($1)`,
      [TABLES],
    );
    const present = new Set(rows.map((r) => r.name));
    const context = buildContext((t) => present.has(t), options);

    const findings: Findings = { violations: [], skipped: [], checked: [] };
    for (const part of PARTS) {
      const missing = part.needs.filter((need) => (Array.isArray(need) ? !need.some(context.has) : !context.has(need)));
      if (missing.length > 0) {
        const names = missing.map((need) => (Array.isArray(need) ? need.join(' or ') : need)).join(', ');
        findings.skipped.push({ invariant: part.invariant, part: part.what, reason: `no table ${names} (a stack without that service?)` });
        continue;
      }
      const result = await client.query<{ id: string; detail: string }>(part.sql(context));
      for (const row of result.rows) findings.violations.push({ invariant: part.invariant, id: row.id, detail: row.detail });
      if (!findings.checked.includes(part.invariant)) findings.checked.push(part.invariant);
    }
    await client.query('COMMIT');
    return findings;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function buildContext(has: (table: Table) => boolean, options: AuditOptions): Context {
  const since = ago(options.graceSeconds);
  const changed = [
    has('payment.payments') && `SELECT order_id FROM payment.payments WHERE updated_at >= ${since}`,
    has('gateway.checkouts') && `SELECT order_id FROM gateway.checkouts WHERE updated_at >= ${since}`,
    has('cart.orders') && `SELECT id FROM cart.orders WHERE created_at >= ${since}`,
    has('inventory.reservations') && `SELECT order_id FROM inventory.reservations WHERE created_at >= ${since}`,
  ].filter(Boolean);
  const paid = [
    has('cart.orders') && `SELECT id AS order_id FROM cart.orders WHERE status = 'paid'`,
    has('gateway.checkouts') && `SELECT order_id FROM gateway.checkouts WHERE state = 'paid'`,
  ].filter(Boolean);
  // An empty list must still be a subquery: no row (never NULL, which would make NOT IN false).
  const none = 'SELECT NULL::uuid WHERE false';
  return { has, options, inFlight: changed.join(' UNION ') || none, paid: paid.join(' UNION ') || none };
}
