// `npm run audit` as people run it (tools/traceshop.sh audit), against a real database made by
// the services' own migrations and a real vhost with the services' topology.
import { Logger } from '@nestjs/common';
import { PAYMENT_REQUESTS_QUEUE, type PaymentRequest } from '@traceshop/contracts';
import { assertTopology, WORK_QUEUES } from '@traceshop/messaging';
import { migrate } from '@traceshop/platform';
import { createTestDatabase, createTestVhost, waitFor } from '@traceshop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';
import type { AuditReport } from './invariants';

const ROOT = join(__dirname, '../../..');
const ALL_SCHEMAS = ['gateway', 'payment', 'cart', 'inventory'];
const CARD = '4242424242424242';
const CVC = '737';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;
type Vhost = Awaited<ReturnType<typeof createTestVhost>>;

let db: Db;
let partialDb: Db | undefined;
let vhost: Vhost;
let pg: Pool;
let amqp: ChannelModel;
let channel: Channel;

/** Each schema as its service makes it: its own migrations, run by the platform's migrate(). */
async function migrateSchemas(url: string, schemas: string[]): Promise<void> {
  for (const schema of schemas) {
    const pool = new Pool({ connectionString: url, options: `-c search_path=${schema}` });
    try {
      await migrate(pool, { schema, migrationsDir: join(ROOT, 'apps', schema, 'src/migrations') });
    } finally {
      await pool.end();
    }
  }
}

/** Runs `npm run audit -- <args>` (without npm: the script it runs); never the real stack's data. */
function audit(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'AMQP_URL', 'RESERVATION_TTL_SECONDS']) delete base[name];
  return new Promise((resolve) => {
    execFile('bash', ['tools/traceshop.sh', 'audit', ...args], { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** The audit of the test database and vhost, --json, with `args`. */
async function auditJson(...args: string[]): Promise<{ code: number; report: AuditReport; stderr: string }> {
  const { code, stdout, stderr } = await audit(['--database-url', db.url, '--amqp-url', vhost.url, '--json', ...args]);
  try {
    return { code, report: JSON.parse(stdout) as AuditReport, stderr };
  } catch {
    throw new Error(`audit exited ${code} without JSON:\n${stdout}\n${stderr}`);
  }
}

const found = (report: AuditReport) => report.violations.map((v) => [v.invariant, v.id]).sort();

// --- the data: one order across the services' tables, `ago` seconds old ---

interface Order {
  checkout?: string;
  payment?: string;
  order?: string;
  reservation?: 'held' | 'committed' | 'released';
  /** How long ago every row of it was written (default 600 s: older than any grace). */
  ago?: number;
}

const ITEM = { sku: 'SKU-TEE-001', quantity: 2 };

async function seed({ checkout, payment, order, reservation, ago = 600 }: Order): Promise<string> {
  const orderId = randomUUID();
  const userId = randomUUID();
  const at = `now() - interval '${ago} seconds'`;
  if (checkout) {
    await pg.query(
      `INSERT INTO gateway.checkouts (order_id, user_id, state, items, total_cents, created_at, updated_at) VALUES ($1, $2, $3, $4, 5000, ${at}, ${at})`,
      [orderId, userId, checkout, JSON.stringify([ITEM])],
    );
  }
  if (payment) {
    await pg.query(
      `INSERT INTO payment.payments (order_id, user_id, amount_cents, currency, status, card_last4, card_fingerprint, created_at, updated_at)
       VALUES ($1, $2, 5000, 'EUR', $3, '4242', repeat('f', 64), ${at}, ${at})`,
      [orderId, userId, payment],
    );
  }
  if (order) {
    await pg.query(`INSERT INTO cart.orders (id, user_id, status, total_cents, created_at) VALUES ($1, $2, $3, 5000, ${at})`, [orderId, userId, order]);
  }
  if (reservation) {
    const { rows } = await pg.query(`INSERT INTO inventory.reservations (order_id, status, created_at) VALUES ($1, $2, ${at}) RETURNING id`, [orderId, reservation]);
    await pg.query('INSERT INTO inventory.reservation_items (reservation_id, sku, quantity) VALUES ($1, $2, $3)', [rows[0].id, ITEM.sku, ITEM.quantity]);
    // What inventory does in the same transaction: held stock is counted in `reserved`.
    if (reservation === 'held') await pg.query('UPDATE inventory.stock SET reserved = reserved + $2 WHERE sku = $1', [ITEM.sku, ITEM.quantity]);
  }
  return orderId;
}

/** One of every way a checkout legitimately ends, and one still in flight. */
async function seedConsistentShop(): Promise<void> {
  await seed({ checkout: 'paid', payment: 'approved', order: 'paid', reservation: 'committed' });
  await seed({ checkout: 'declined', payment: 'declined', order: 'declined', reservation: 'released' });
  await seed({ checkout: 'failed', payment: 'voided', order: 'failed', reservation: 'released' }); // reconciled: never charged
  await seed({ checkout: 'failed', order: 'failed' }); // failed before any stock was held
  await seed({ checkout: 'rejected' }); // out of stock: nothing held, no order event
  await seed({ checkout: 'payment_pending', payment: 'approved', reservation: 'held', ago: 1 }); // in flight
  // A paid order from before the gateway kept checkouts.
  await seed({ payment: 'approved', order: 'paid', reservation: 'committed' });
}

async function deadLetterCount(queue: string): Promise<number> {
  return (await channel.checkQueue(queue)).messageCount;
}

beforeAll(async () => {
  Logger.overrideLogger(false); // migrate() logs each migration
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  await migrateSchemas(db.url, ALL_SCHEMAS);
  pg = new Pool({ connectionString: db.url, max: 2 });
  amqp = await connect(vhost.url);
  channel = await amqp.createChannel();
  await assertTopology(channel);
}, 120_000);

afterAll(async () => {
  await amqp?.close().catch(() => undefined);
  await pg?.end();
  await Promise.all([db?.drop(), partialDb?.drop(), vhost?.drop()]);
}, 120_000);

beforeEach(async () => {
  await pg.query(`TRUNCATE gateway.checkouts, gateway.outbox, payment.payments, cart.order_items, cart.orders,
                           inventory.reservation_items, inventory.reservations`);
  await pg.query('UPDATE inventory.stock SET reserved = 0');
  for (const queue of WORK_QUEUES) await channel.purgeQueue(`${queue}.dlq`);
});

describe('npm run audit', () => {
  it('passes a consistent shop: exit 0, all six invariants checked', async () => {
    await seedConsistentShop();

    const { code, report } = await auditJson();
    expect(report.violations).toEqual([]);
    expect(report.skipped).toEqual([]);
    expect(report.checked).toHaveLength(6);
    expect(report.deadLettered).toEqual([]);
    expect(code).toBe(0);

    const text = await audit(['--database-url', db.url, '--amqp-url', vhost.url]);
    expect(text.stdout).toBe('0 violations in 6 invariants; 0 dead-lettered messages\n');
    expect(text.code).toBe(0);
  });

  it('approved-payment-has-one-paid-order: an approved payment whose order event never reached cart', async () => {
    await seedConsistentShop();
    const lost = await seed({ checkout: 'paid', payment: 'approved', reservation: 'committed' });

    const { code, report } = await auditJson();
    expect(found(report)).toEqual([['approved-payment-has-one-paid-order', lost]]);
    expect(report.violations[0].detail).toBe('payment approved, but the cart order is missing');
    expect(code).toBe(1);
  });

  it('paid-order-has-approved-payment: an order paid in cart but declined by payment and the checkout', async () => {
    await seedConsistentShop();
    const both = await seed({ checkout: 'declined', payment: 'declined', order: 'paid', reservation: 'committed' });
    const unpaidCheckout = await seed({ checkout: 'paid', order: 'paid', reservation: 'committed' }); // no payment at all

    const { code, report } = await auditJson();
    expect(found(report)).toEqual(
      [
        ['paid-order-has-approved-payment', both], // paid order, declined payment
        ['paid-order-has-approved-payment', both], // order paid, checkout declined
        ['paid-order-has-approved-payment', unpaidCheckout], // paid order, no payment
        ['paid-order-has-approved-payment', unpaidCheckout], // paid checkout, no payment
      ].sort(),
    );
    expect(report.violations.map((v) => v.detail)).toContain('order paid, but the checkout is declined');
    expect(code).toBe(1);
  });

  it('stock-committed-once: a paid order still holding, a declined one committed, a sku reserved for nobody', async () => {
    await seedConsistentShop();
    const holding = await seed({ checkout: 'paid', payment: 'approved', order: 'paid', reservation: 'held' });
    const committed = await seed({ checkout: 'declined', payment: 'declined', order: 'declined', reservation: 'committed' });
    await pg.query(`UPDATE inventory.stock SET reserved = reserved + 1 WHERE sku = 'SKU-MUG-001'`);

    const { code, report } = await auditJson();
    expect(found(report)).toEqual(
      [
        ['stock-committed-once', holding],
        ['stock-committed-once', committed],
        ['stock-committed-once', 'SKU-MUG-001'],
      ].sort(),
    );
    expect(report.violations.find((v) => v.id === 'SKU-MUG-001')?.detail).toBe('stock.reserved is 1, but held reservations hold 0');
    expect(code).toBe(1);
  });

  it('no-expired-hold: stock held past the reservation TTL (--reservation-ttl-seconds, RESERVATION_TTL_SECONDS)', async () => {
    await seedConsistentShop();
    const forgotten = await seed({ reservation: 'held', ago: 2_000 });

    const { code, report } = await auditJson();
    expect(found(report)).toEqual([['no-expired-hold', forgotten]]);
    expect(report.violations[0].detail).toMatch(/^reservation [0-9a-f-]{36} held for 20\d\d s \(TTL 900 s\)$/);
    expect(code).toBe(1);

    expect((await auditJson('--reservation-ttl-seconds', '3000')).code).toBe(0);
    // The defaults come from the environment, as in a service's shell.
    const fromEnv = await audit(['--json'], { DATABASE_URL: db.url, AMQP_URL: vhost.url, RESERVATION_TTL_SECONDS: '3000' });
    expect(JSON.parse(fromEnv.stdout).violations).toEqual([]);
    expect(fromEnv.code).toBe(0);
  });

  it('no-stuck-checkout: a checkout left open and an order event left in the outbox', async () => {
    await seedConsistentShop();
    const open = await seed({ checkout: 'payment_unknown', payment: 'error', reservation: 'held', ago: 200 });
    await pg.query(
      `INSERT INTO gateway.outbox (exchange, routing_key, message_id, payload, created_at) VALUES ('orders', 'order.declined', $1, '{}', now() - interval '200 seconds')`,
      [open],
    );

    const { code, report } = await auditJson();
    expect(found(report)).toEqual([
      ['no-stuck-checkout', open],
      ['no-stuck-checkout', open],
    ]);
    expect(report.violations.map((v) => v.detail).sort()).toEqual([
      expect.stringMatching(/^checkout payment_unknown, untouched for 2\d\d s$/),
      expect.stringMatching(/^outbox row \d+ \(order\.declined\) unsent for 2\d\d s, 0 attempts$/),
    ]);
    expect(code).toBe(1);

    expect((await auditJson('--stuck-after-seconds', '300')).code).toBe(0);
  });

  it('respects the grace period: a change younger than --grace-seconds is in flight, not a violation', async () => {
    await seedConsistentShop();
    // Wide margins: a busy machine takes seconds to start each audit.
    const recent = await seed({ checkout: 'paid', payment: 'approved', reservation: 'committed', ago: 100 });

    expect((await auditJson('--grace-seconds', '300')).code).toBe(0);

    // (The shop's own in-flight checkout, 1 s old when written, stays inside 60 s.)
    const { code, report } = await auditJson('--grace-seconds', '60');
    expect(found(report)).toEqual([['approved-payment-has-one-paid-order', recent]]);
    expect(code).toBe(1);
  });

  it('nothing-dead-lettered: lists a dead-lettered payment request, card number and CVC masked, and leaves it there', async () => {
    await seedConsistentShop();
    const orderId = randomUUID();
    const request: PaymentRequest = { orderId, userId: randomUUID(), amountCents: 5000, currency: 'EUR', card: { cardNumber: CARD, expMonth: 12, expYear: 2035, cvc: CVC } };
    // Dead-lettered the way payment's consumer does it after its last retry: rejected, not requeued.
    channel.sendToQueue(PAYMENT_REQUESTS_QUEUE, Buffer.from(JSON.stringify(request)), { messageId: orderId, persistent: true, headers: { 'x-retry-count': 2 } });
    const message = await waitFor(() => channel.get(PAYMENT_REQUESTS_QUEUE, { noAck: false }), (m) => m !== false, { what: 'the payment request' });
    channel.nack(message as Exclude<typeof message, false>, false, false);
    const dlq = `${PAYMENT_REQUESTS_QUEUE}.dlq`;
    await waitFor(() => deadLetterCount(dlq), (n) => n === 1, { what: `the request in ${dlq}` });

    const { code, report } = await auditJson();
    expect(report.deadLettered).toEqual([
      { queue: dlq, routingKey: PAYMENT_REQUESTS_QUEUE, messageId: orderId, retryCount: 2, deathReason: 'rejected', body: expect.stringContaining('"cardNumber":"************4242"') },
    ]);
    // The first 200 characters end before the CVC (masked all the same: mask.spec.ts).
    expect(report.deadLettered[0].body).toHaveLength(200);
    expect(report.deadLetteredTotal).toBe(1);
    expect(found(report)).toEqual([['nothing-dead-lettered', orderId]]);
    expect(code).toBe(1);

    const text = await audit(['--database-url', db.url, '--amqp-url', vhost.url]);
    expect(text.stdout).toContain(`nothing-dead-lettered: 1 violation\n  ${orderId}  ${dlq}: payment.requests (dead-lettered: rejected, 2 retries): {"orderId"`);
    expect(text.stdout).toMatch(/\n1 violation in 6 invariants; 1 dead-lettered message\n$/);
    for (const output of [JSON.stringify(report), text.stdout, text.stderr]) {
      expect(output).not.toContain(CARD);
      expect(output).not.toContain(`"cvc":"${CVC}"`);
    }
    expect(await deadLetterCount(dlq)).toBe(1); // listed twice, still there
  });

  it('checks what exists on a stack with fewer services, says what it skipped, and does not crash', async () => {
    partialDb = await createTestDatabase();
    await migrateSchemas(partialDb.url, ['inventory']);

    const { code, stdout } = await audit(['--database-url', partialDb.url, '--amqp-url', vhost.url, '--json']);
    const report = JSON.parse(stdout) as AuditReport;
    expect(report.checked).toEqual(['stock-committed-once', 'no-expired-hold', 'nothing-dead-lettered']);
    expect(new Set(report.skipped.map((s) => s.invariant))).toEqual(
      new Set(['approved-payment-has-one-paid-order', 'paid-order-has-approved-payment', 'stock-committed-once', 'no-stuck-checkout']),
    );
    expect(report.skipped.find((s) => s.invariant === 'no-stuck-checkout')?.reason).toMatch(/^no table gateway\.checkouts/);
    expect(code).toBe(0);

    const text = await audit(['--database-url', partialDb.url, '--amqp-url', vhost.url]);
    expect(text.stdout).toMatch(/\n0 violations in 3 invariants \(3 not checked\); 0 dead-lettered messages\n$/);
    expect(text.code).toBe(0);
  });

  it('exits 2 and says what it could not read', async () => {
    const missing = db.url.replace(/\/[^/]+$/, '/traceshop_audit_no_such_database');
    const { code, stdout, stderr } = await audit(['--database-url', missing, '--amqp-url', vhost.url]);
    expect(stdout).toContain(`could not read: Postgres at ${missing}: database "traceshop_audit_no_such_database" does not exist`);
    expect(code).toBe(2);
    expect(stderr).toBe('');

    const usage = await audit(['--grace-seconds', 'soon']);
    expect(usage.stderr).toContain('--grace-seconds must be a whole number');
    expect(usage.code).toBe(2);
  });
});
