import { FIXTURES, model, span } from './fixtures';
import { painter } from './format';
import { summarize } from './summary';
import { renderSummary } from './tables';

describe('summarize', () => {
  const m = model(FIXTURES.normal);
  const rows = summarize(m);
  const of = (service: string) => rows.find((r) => r.service === service)!;

  it('has one row per service, most self time first', () => {
    expect(rows.map((r) => r.service)).toEqual(['gateway', 'payment', 'inventory', 'payment-provider', 'cart', 'auth']);
    expect(rows.map((r) => r.spans).reduce((a, b) => a + b)).toBe(m.spans.length);
  });

  it("takes a service's total as the wall clock its spans cover, nested spans once", () => {
    // The gateway's spans all sit inside its root span.
    expect(of('gateway').totalUs).toBe(span(m, 'POST /api/checkout').durationUs);
    expect(of('payment-provider').totalUs).toBe(span(m, 'POST /charges').durationUs);
    expect(of('gateway').totalShare).toBeCloseTo(178_827 / 180_378, 6);
  });

  it("takes its self time as that wall clock minus the time it waited for other services' spans", () => {
    // payment's only callee is the provider: its own time is everything else.
    expect(of('payment').selfUs).toBe(of('payment').totalUs - span(m, 'POST /charges').durationUs);
    // The provider calls nothing: all its time is its own.
    expect(of('payment-provider').selfUs).toBe(of('payment-provider').totalUs);
    for (const r of rows) expect(r.selfUs).toBeLessThanOrEqual(r.totalUs);
    expect(of('payment').selfShare).toBeCloseTo(of('payment').selfUs / m.durationUs, 9);
  });

  it('counts error spans and critical-path time per service', () => {
    expect(rows.every((r) => r.errors === 0)).toBe(true);
    expect(summarize(model(FIXTURES.poison)).find((r) => r.service === 'cart')!.errors).toBe(3);
    expect(rows.reduce((sum, r) => sum + r.criticalUs, 0)).toBe(m.criticalPathUs);
  });
});

describe('renderSummary', () => {
  it('prints the table of an incident report', () => {
    const m = model(FIXTURES.normal);
    const text = renderSummary(m, summarize(m), painter(false));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^service\s+spans\s+total\s+of trace\s+self\s+of trace\s+critical path\s+errors$/);
    expect(text).toMatch(/^gateway\s+23\s+178\.8ms\s+99\.1%\s+150\.2ms\s+83\.3%\s+150\.2ms 84\.0%\s+0$/m);
    expect(text).toMatch(/^payment\s+11\s+92\.3ms\s+51\.2%\s+75\.3ms\s+41\.7%\s+-\s+0$/m);
    expect(text).toMatch(/^payment-provider\s+3\s+17\.0ms\s+9\.4%\s+17\.0ms\s+9\.4%\s+-\s+0$/m);
    expect(text).toContain("shares of the trace's 180.4ms");
  });
});
