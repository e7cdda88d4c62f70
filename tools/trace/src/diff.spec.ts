import { diffTraces } from './diff';
import { renderDiff } from './diff-report';
import { FIXTURES, model } from './fixtures';
import { painter } from './format';

describe('diffTraces', () => {
  it('finds nothing between a trace and itself', () => {
    const m = model(FIXTURES.normal);
    const diff = diffTraces(m, m);
    expect(diff.rows).toEqual([]);
    expect(diff.unchangedSpans).toBe(m.spans.length);
  });

  describe('a normal checkout against a slow one (slow-checkout)', () => {
    const diff = diffTraces(model(FIXTURES.normal), model(FIXTURES.slow));
    const row = (service: string, name: string) => diff.rows.find((r) => r.service === service && r.name === name);

    it('sorts by absolute change: the checkout grew by 2.81 s, first', () => {
      expect(diff.rows[0]).toMatchObject({ change: 'grew', service: 'payment', name: 'payment.requests process' });
      const deltas = diff.rows.map((r) => Math.abs(r.deltaUs));
      expect(deltas).toEqual([...deltas].sort((a, b) => b - a));
      expect(row('gateway', 'POST /api/checkout')).toMatchObject({ beforeUs: 178_827, deltaUs: expect.any(Number) });
      expect(row('gateway', 'POST /api/checkout')!.deltaUs).toBeGreaterThan(2_800_000);
    });

    it("shows where the time went: the provider's own span grew by 2.7 s of self time", () => {
      const create = row('payment-provider', 'create')!;
      expect(create.change).toBe('grew');
      expect(create.selfDeltaUs).toBeGreaterThan(2_600_000);
      // Its ancestors grew as much, but not in their own time.
      expect(Math.abs(row('payment', 'POST')!.selfDeltaUs)).toBeLessThan(5_000);
    });

    it("reports the fraud check's second query (the 30-day scan) as appeared: matched by position among same-named siblings", () => {
      const appeared = diff.rows.filter((r) => r.change === 'appeared' && r.under === 'payment.fraud_check');
      expect(appeared.map((r) => r.name)).toContain('pg.query:SELECT traceshop_cc62f982');
      expect(appeared.find((r) => r.name.startsWith('pg.query:SELECT'))!.afterUs).toBeGreaterThan(150_000);
      expect(row('payment', 'payment.fraud_check')!.change).toBe('grew');
    });

    it('leaves out changes under 1% of the longer trace, and counts them', () => {
      expect(diff.noiseUs).toBe(0.01 * model(FIXTURES.slow).durationUs);
      const changed = diff.rows.filter((r) => r.change === 'grew' || r.change === 'shrank');
      for (const r of changed) expect(Math.abs(r.deltaUs)).toBeGreaterThanOrEqual(diff.noiseUs);
      // Every span of the normal trace is either listed or counted.
      const gone = diff.rows.filter((r) => r.change === 'disappeared').reduce((n, r) => n + 1 + r.beneath, 0);
      expect(diff.unchangedSpans + changed.length + gone).toBe(model(FIXTURES.normal).spans.length);
      expect(diff.unchangedSpans).toBeGreaterThan(30);
    });
  });

  describe('a normal checkout against a broken-propagation one', () => {
    const diff = diffTraces(model(FIXTURES.normal), model(FIXTURES.brokenPropagation));

    it('reports a vanished subtree once, at its top, with the spans beneath it', () => {
      const gone = diff.rows.filter((r) => r.change === 'disappeared');
      expect(gone.find((r) => r.name === 'payment.charge')).toMatchObject({ service: 'payment', beneath: 4, afterUs: undefined, beforeUs: 40_328 });
      expect(gone.find((r) => r.name === 'payment.fraud_check')).toMatchObject({ beneath: 2 });
      expect(gone.map((r) => r.name)).not.toContain('POST /charges');
      // The consumer span itself is still there (empty): it shrank.
      expect(diff.rows.find((r) => r.name === 'payment.requests process')!.change).toBe('shrank');
    });
  });
});

describe('renderDiff', () => {
  it('prints the totals and one line per change', () => {
    const text = renderDiff(diffTraces(model(FIXTURES.normal), model(FIXTURES.brokenPropagation)), painter(false));
    expect(text).toContain('diff c2f3b870455b384adc8a2cb60b564925 → d4c51cfc211b8bf230a5878a50928e82');
    expect(text).toMatch(/^\s+change\s+-76\.1ms\s+-12 spans$/m);
    expect(text).toMatch(/^-40\.3ms\s+40\.3ms\s+-\s+-19\.2ms\s+disappeared\s+payment\s+payment\.charge {2}\(\+4 spans beneath\) {2}under payment\.requests process$/m);
  });
});
