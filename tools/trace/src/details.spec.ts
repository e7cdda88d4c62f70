import type { JaegerSpan } from '@traceshop/testing';
import { notesOf, shorten } from './details';
import { FIXTURES, trace } from './fixtures';

/** The notes of the `nth` span named `name` (of `service`) in a recorded trace. */
function notes(fixture: (typeof FIXTURES)[keyof typeof FIXTURES], name: string, service?: string, nth = 0): string[] {
  const t = trace(fixture);
  const found = t.spans
    .filter((s) => s.operationName === name && (service === undefined || t.processes[s.processID].serviceName === service))
    .sort((a, b) => a.startTime - b.startTime);
  return notesOf(found[nth]);
}

describe('notesOf', () => {
  it('says where an HTTP client span went: its peer and path', () => {
    expect(notes(FIXTURES.normal, 'POST', 'payment')).toEqual(['→ 127.0.0.1:22005 /charges']);
    // The server span's name already holds the route: nothing to add.
    expect(notes(FIXTURES.normal, 'POST /charges')).toEqual([]);
  });

  it('gives the statement of a query on one short line', () => {
    const [statement] = notes(FIXTURES.normal, 'pg.query:SELECT traceshop_cc62f982', 'payment');
    expect(statement).toBe('SELECT count(*)::int AS n FROM payments WHERE card_fingerpr…');
    expect(statement).toHaveLength(60);
    // Multi-line SQL is folded onto one line.
    expect(notes(FIXTURES.normal, 'pg.query:UPDATE traceshop_cc62f982', 'inventory')[0]).toBe('UPDATE stock SET reserved = reserved + x.quantity FROM unne…');
  });

  it('names the exchange and routing key of a message, or the queue on the default exchange', () => {
    expect(notes(FIXTURES.normal, 'publish orders')).toEqual(['exchange orders key order.confirmed']);
    expect(notes(FIXTURES.normal, 'publish <default>', 'gateway')).toEqual(['queue payment.requests']);
    expect(notes(FIXTURES.normal, 'publish <default>', 'payment')).toEqual(['queue amq.rabbitmq.reply-to…']);
  });

  it('lists the feature flags a span evaluated, key=variant', () => {
    expect(notes(FIXTURES.normal, 'inventory.reserve')).toEqual(['flag lock-contention=off']);
    expect(notes(FIXTURES.normal, 'create', 'payment-provider')).toEqual(['flag retry-storm=off slow-checkout=off payment-declines=off']);
  });

  it('shows the retries and the exception of a poison message', () => {
    const [first, retry] = [0, 1].map((n) => notes(FIXTURES.poison, 'cart.order-events process', 'cart', n));
    expect(first).toEqual([
      'exchange orders key order.confirmed',
      'exception Error: cannot record order 41fd7aed-61c0-4fef-ba6c-0eae070350e0 from order.confirmed: the…',
      'flag poison-message=on',
    ]);
    expect(retry.slice(0, 2)).toEqual(['queue cart.order-events', 'retry 1']);
  });

  it('falls back to the status description for an error without an exception event', () => {
    // The last attempt's status says why it ended; without its exception event, that is shown.
    const span = structuredClone(trace(FIXTURES.poison).spans.find((s) => s.operationName === 'cart.order-events process' && s.tags.some((t) => t.key === 'traceshop.messaging.retry_count' && t.value === 2))!);
    span.logs = [];
    expect(notesOf(span)).toEqual(['queue cart.order-events', 'retry 2', 'error: nack called on message without requeue']);
  });
});

describe('notesOf, on spans named as the conventions name them', () => {
  // A span of today's services: the name says where a message went, the peer is named.
  const span = (operationName: string, tags: Record<string, string | number>): JaegerSpan => ({
    traceID: '0'.repeat(32),
    spanID: '1'.repeat(16),
    operationName,
    references: [],
    startTime: 0,
    duration: 1,
    tags: Object.entries(tags).map(([key, value]) => ({ key, type: typeof value === 'number' ? 'int64' : 'string', value })),
    logs: [],
    processID: 'p1',
  });
  const rabbit = { 'messaging.system': 'rabbitmq' };

  it('adds nothing the name says already, but the routing key a queue`s message came with', () => {
    expect(notesOf(span('publish payment.requests', { ...rabbit, 'messaging.destination': '', 'messaging.rabbitmq.routing_key': 'payment.requests' }))).toEqual([]);
    expect(notesOf(span('publish orders:order.confirmed', { ...rabbit, 'messaging.destination': 'orders', 'messaging.rabbitmq.routing_key': 'order.confirmed' }))).toEqual([]);
    expect(notesOf(span('publish amq.rabbitmq.reply-to', { ...rabbit, 'messaging.destination': '', 'messaging.rabbitmq.routing_key': 'amq.rabbitmq.reply-to.g1h2AA' }))).toEqual([]);
    expect(notesOf(span('process cart.order-events', { ...rabbit, 'messaging.destination': 'orders', 'messaging.rabbitmq.routing_key': 'order.confirmed' }))).toEqual(['exchange orders key order.confirmed']);
    // A retry comes back through the default exchange: its name says all, but the try.
    expect(notesOf(span('process cart.order-events', { ...rabbit, 'messaging.destination': '', 'messaging.rabbitmq.routing_key': 'cart.order-events', 'traceshop.messaging.retry_count': 1 }))).toEqual(['retry 1']);
  });

  it('gives the statement unless the name, its summary, is all of it', () => {
    const pg = { 'db.system.name': 'postgresql' };
    expect(notesOf(span('COMMIT', { ...pg, 'db.query.text': 'COMMIT' }))).toEqual([]);
    expect(notesOf(span('SELECT fraud_history', { ...pg, 'db.query.text': 'SELECT count(*) FROM fraud_history WHERE card_id = $1' }))).toEqual([
      'SELECT count(*) FROM fraud_history WHERE card_id = $1',
    ]);
  });

  it('says which service a client span called, by its peer.service', () => {
    expect(notesOf(span('POST', { 'span.kind': 'client', 'http.request.method': 'POST', 'peer.service': 'payment-provider', 'server.address': '127.0.0.1', 'url.path': '/charges' }))).toEqual(['→ payment-provider /charges']);
  });
});

describe('shorten', () => {
  it('folds whitespace and cuts with an ellipsis', () => {
    expect(shorten('SELECT a,\n       b   FROM t', 100)).toBe('SELECT a, b FROM t');
    expect(shorten('abcdef', 4)).toBe('abc…');
  });
});
