import { FIXTURES, model, span, trace } from './fixtures';
import { painter } from './format';
import { compareWithReference, queryOn, REFERENCE_INCIDENT, renderReference } from './reference';
import { summarize } from './summary';

describe('compareWithReference', () => {
  const m = model(FIXTURES.slow);
  const parts = compareWithReference(trace(FIXTURES.slow), m)!;
  const part = (name: string) => parts.find((p) => p.part.trim() === name)!;
  const total = (service: string) => summarize(m).find((r) => r.service === service)!.totalUs;

  it('compares a trace only when its slow-checkout flag was on', () => {
    expect(parts.map((p) => p.part.trim())).toEqual(['checkout', 'gateway, own time', 'cart', 'payment', 'database', 'payment-provider']);
    expect(compareWithReference(trace(FIXTURES.normal), model(FIXTURES.normal))).toBeUndefined();
  });

  it("measures payment, cart and the provider as the summary's wall clock, the checkout as the root span", () => {
    expect(part('checkout').measuredUs).toBe(span(m, 'POST /api/checkout', 'gateway').durationUs);
    expect(part('payment').measuredUs).toBe(total('payment'));
    expect(part('cart').measuredUs).toBe(total('cart'));
    expect(part('payment-provider').measuredUs).toBe(total('payment-provider'));
  });

  it("takes the gateway's own time as what is left of the checkout while no other service worked", () => {
    const own = part('gateway, own time').measuredUs;
    expect(own).toBeGreaterThan(0);
    // The checkout is at least payment's time plus the gateway's own: payment ran inside it, apart from it.
    expect(own + part('payment').measuredUs).toBeLessThanOrEqual(part('checkout').measuredUs);
    expect(own).toBeLessThan(total('gateway') - part('payment').measuredUs);
  });

  it("measures payment's database time, naming the fraud-history query as the slowest", () => {
    const database = part('database');
    const fraudQuery = trace(FIXTURES.slow).spans.find((s) => s.tags.some((t) => t.key === 'db.query.text' && String(t.value).includes('FROM fraud_history')))!;
    expect(database.measuredUs).toBeGreaterThanOrEqual(fraudQuery.duration);
    expect(database.measuredUs).toBeLessThan(part('payment').measuredUs);
    expect(database.note).toBe(`8 spans; slowest ${(fraudQuery.duration / 1000).toFixed(1)}ms: SELECT … fraud_history`);
  });

  it('puts the reference figures beside them, and none for the provider', () => {
    expect(part('payment').referenceUs).toBe(REFERENCE_INCIDENT.paymentMs * 1000);
    expect(part('database').referenceUs).toBe(REFERENCE_INCIDENT.databaseMs * 1000);
    expect(part('payment-provider').referenceUs).toBeUndefined();
  });
});

describe('queryOn', () => {
  it('names the tables a statement reads, not its subqueries, LATERAL or functions', () => {
    const velocity = `SELECT w.name AS "window", v.attempts FROM (VALUES ('1h', interval '1 hour')) AS w (name, span)
       CROSS JOIN LATERAL (SELECT count(*)::int AS attempts FROM fraud_history WHERE card_fingerprint = $1) AS v`;
    expect(queryOn(velocity)).toBe('SELECT … fraud_history');
    expect(queryOn('SELECT sku FROM unnest($1::text[]) AS s (sku) JOIN payment.payments p ON p.id = s.sku')).toBe('SELECT … payment.payments');
    expect(queryOn('UPDATE payments SET status = $2 WHERE id = $1')).toBe('UPDATE … payments');
    expect(queryOn('COMMIT')).toBe('COMMIT');
  });
});

describe('renderReference', () => {
  it('prints this trace beside the reference, one part a line', () => {
    const text = renderReference(compareWithReference(trace(FIXTURES.slow), model(FIXTURES.slow))!, painter(false));
    expect(text).toContain('the reference incident (slow-checkout is on in this trace)');
    expect(text).toMatch(/^part\s+this trace\s+reference$/m);
    expect(text).toMatch(/^payment\s+2\.93s\s+2\.90s$/m);
    expect(text).toMatch(/^ {2}database\s+\d+\.\dms\s+800\.0ms\s+\d+ spans; slowest/m);
    expect(text).toMatch(/^ {2}payment-provider\s+2\.71s\s+-\s+the source names it/m);
  });
});
