import { publishDestination, querySummary } from './span-names';

describe('querySummary', () => {
  it.each([
    // TraceShop's own statements (apps/*/src/*.repository.ts, libs/platform), as they are written.
    [`SELECT count(*)::int AS attempts, coalesce(sum(amount_cents), 0)::int AS "totalCents"
       FROM fraud_history
       WHERE card_fingerprint = $1 AND recorded_at > now() - interval '30 days'`, 'SELECT fraud_history'],
    ['SELECT p.sku, p.name FROM products p JOIN stock s USING (sku) ORDER BY p.sku', 'SELECT products stock'],
    [`INSERT INTO checkouts (order_id, state) VALUES ($1, 'reserving') ON CONFLICT DO NOTHING RETURNING order_id`, 'INSERT checkouts'],
    [`INSERT INTO payments (order_id) VALUES ($1) ON CONFLICT (order_id) DO UPDATE SET order_id = $1`, 'INSERT payments'],
    ['SELECT id FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED', 'SELECT outbox'],
    [`UPDATE stock SET reserved = reserved + x.quantity
         FROM unnest($1::text[], $2::int[]) AS x(sku, quantity) WHERE stock.sku = x.sku`, 'UPDATE stock'],
    ['UPDATE stock SET reserved = reserved - i.quantity FROM reservation_items i WHERE i.reservation_id = $1', 'UPDATE stock reservation_items'],
    [`INSERT INTO reservation_items (reservation_id, sku, quantity)
         SELECT $1, x.sku, x.quantity FROM unnest($2::text[], $3::int[]) AS x(sku, quantity)`, 'INSERT reservation_items SELECT'],
    ['SELECT 1 FROM stock WHERE sku IN (SELECT sku FROM reservation_items WHERE reservation_id = $1) ORDER BY sku FOR UPDATE', 'SELECT stock SELECT reservation_items'],
    ['SELECT EXISTS (SELECT 1 FROM fraud_history) AS seeded', 'SELECT SELECT fraud_history'],
    [`UPDATE reservations SET expiry_checked_at = now() WHERE id IN (SELECT id FROM reservations FOR UPDATE SKIP LOCKED) RETURNING id`, 'UPDATE reservations SELECT reservations'],
    ['DELETE FROM sessions WHERE id = $1', 'DELETE sessions'],
    ['BEGIN', 'BEGIN'],
    ['COMMIT', 'COMMIT'],
    ['SELECT pg_advisory_lock(hashtext($1))', 'SELECT'],
    ['ANALYZE fraud_history', 'ANALYZE'],
  ])('%s → %s', (text, summary) => {
    expect(querySummary(text)).toBe(summary);
  });

  it('takes names as written, schema and quotes included, and nothing from literals or comments', () => {
    expect(querySummary('SELECT * FROM cart.orders o JOIN "Order Items" i ON i.order_id = o.id')).toBe('SELECT cart.orders "Order Items"');
    expect(querySummary(`SELECT 'DELETE FROM users' AS x FROM audit -- UPDATE users\n/* INSERT INTO users */`)).toBe('SELECT audit');
    expect(querySummary('select id from users')).toBe('select users');
  });

  it('stays under 255 characters without cutting a name', () => {
    const summary = querySummary(Array.from({ length: 40 }, (_, i) => `SELECT * FROM table_number_${i}`).join(' UNION '));
    expect(summary.length).toBeLessThanOrEqual(255);
    expect(summary.length).toBeGreaterThan(240);
    expect(summary.split(' ').every((part) => part === 'SELECT' || /^table_number_\d+$/.test(part))).toBe(true);
  });
});

describe('publishDestination', () => {
  it('is exchange:routing key, either alone when the other is empty (the default exchange routes by queue name)', () => {
    expect(publishDestination('orders', 'order.confirmed')).toEqual({ name: 'orders:order.confirmed' });
    expect(publishDestination('', 'payment.requests')).toEqual({ name: 'payment.requests' });
    expect(publishDestination('orders', '')).toEqual({ name: 'orders' });
    expect(publishDestination('', '')).toEqual({ name: 'amq.default' });
  });

  it('names a reply to a generated queue by its template: one span name for all replies', () => {
    expect(publishDestination('', 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxNjg2NjY0MzQ4AAAAAAAAAAE=')).toEqual({
      name: 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxNjg2NjY0MzQ4AAAAAAAAAAE=',
      template: 'amq.rabbitmq.reply-to',
    });
    expect(publishDestination('', 'amq.gen-JzTY20BRgKO-HjmUJj0wLg').template).toBe('amq.gen');
  });
});
