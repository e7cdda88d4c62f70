import { FIXTURES, model, span } from './fixtures';
import { painter } from './format';
import type { TraceModel } from './model';
import { collapse, renderHeader, renderWaterfall, RUN_MIN } from './waterfall';

const plain = painter(false);
const draw = (m: TraceModel, options: { width?: number; criticalPath?: boolean; expand?: boolean; ids?: boolean } = {}) =>
  renderWaterfall(m, { width: 100, paint: plain, ...options });
/** The line of the waterfall that ends the span column with `text`. */
const lineOf = (text: string, needle: string) => text.split('\n').find((l) => l.includes(needle));

describe('the waterfall of a normal checkout', () => {
  const m = model(FIXTURES.normal);
  const text = draw(m);
  const lines = text.trimEnd().split('\n');

  it('has a column header and one line per span', () => {
    expect(lines[0]).toMatch(/^\s+start\s+duration\s+self\s+timeline\s+service\s+span$/);
    expect(lines).toHaveLength(1 + m.spans.length);
  });

  it('gives each span its start, duration, self time, service, and a place in the tree', () => {
    expect(lines[1]).toMatch(/^\s+\+0\.0ms\s+178\.8ms\s+2\.1ms\s+█+\s+gateway\s+POST \/api\/checkout$/);
    expect(text).toMatch(/^\s+\+88\.0ms\s+17\.0ms\s+2\.6ms\s+█+\s+payment-provider\s+│ {5}│ {5}└─ POST \/charges$/m);
    expect(text).toMatch(/^\s+\+85\.0ms\s+21\.2ms\s+4\.1ms\s+█+\s+payment\s+│ {5}│ {2}└─ POST {2}→ 127\.0\.0\.1:22005 \/charges$/m);
    // Siblings: ├─ until the last, └─.
    expect(lineOf(text, 'publish <default>  queue payment.requests')).toContain('├─ publish');
    expect(lines.at(-1)).toContain('└─ pg.query:UPDATE traceshop_cc62f982  UPDATE checkouts SET lease_until = now() WHERE order_id = $1');
  });

  it('scales the timeline to the terminal: a third of its width', () => {
    const bar = (t: string) => /^\s+\S+\s+\S+\s+\S+ {2}(.+?) {2}gateway\s+POST \/api\/checkout$/m.exec(t)![1];
    expect(bar(text)).toBe('█'.repeat(30));
    expect(bar(draw(m, { width: 200 }))).toBe('█'.repeat(60));
    // The provider's 17 ms at +88 ms of 180.4 ms: cells 14..17 of 30.
    expect(/ {2}( +█+ *) {2}payment-provider\s+│ {5}│ {5}└─ POST/.exec(text)![1]).toBe(`${' '.repeat(14)}████${' '.repeat(12)}`);
  });

  it('shows statements, destinations and flags inline', () => {
    expect(lineOf(text, 'inventory.reserve')).toMatch(/inventory\.reserve {2}flag lock-contention=off$/);
    expect(lineOf(text, 'publish orders')).toMatch(/publish orders {2}exchange orders key order\.confirmed$/);
    expect(lineOf(text, 'card_fingerpr')).toContain('pg.query:SELECT traceshop_cc62f982  SELECT count(*)::int AS n FROM payments WHERE card_fingerpr…');
  });

  it('has no colour when plain, and colours services and errors when asked', () => {
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/\u001b\[/);
    const coloured = renderWaterfall(m, { width: 100, paint: painter(true) });
    expect(coloured).toContain('\u001b[36mauth'); // cyan: the first service in name order
    expect(renderWaterfall(model(FIXTURES.poison), { width: 100, paint: painter(true) })).toContain('\u001b[31m✗ \u001b[39m');
  });
});

describe('--critical-path marks', () => {
  const m = model(FIXTURES.normal);
  const text = draw(m, { criticalPath: true });

  it('marks the spans on the path with * and draws █ where they are on it, ░ where not', () => {
    expect(lineOf(text, 'POST /api/checkout')).toMatch(/^\* +\+0\.0ms .* █░+█ +gateway/);
    expect(lineOf(text, '└─ get  get cc62f982:session')).toMatch(/^\* /);
    expect(lineOf(text, 'payment.requests process')).toMatch(/^ {2}\s*\+46\.0ms .*░+ +payment/);
    expect(lineOf(text, 'payment.requests process')).not.toContain('█');
    const marked = text.split('\n').filter((l) => l.startsWith('* ')).length;
    expect(marked).toBe(m.spans.filter((s) => s.critical).length);
  });
});

describe('broken traces in the waterfall', () => {
  it('shows orphans under a marker naming their missing parent, never dropping them', () => {
    const m = model(FIXTURES.orphans);
    const header = renderHeader(m, plain);
    expect(header).toContain('! 2 spans reference parents not in the trace (propagation broken, or a service\'s spans lost): shown under "(parent … not in trace)"');
    const lines = draw(m).trimEnd().split('\n');
    expect(lines).toHaveLength(1 + m.spans.length + 2);
    const marker = lines.findIndex((l) => l.trim() === '⋯ (parent bb49a841 not in trace)');
    expect(marker).toBeGreaterThan(0);
    expect(lines[marker + 1]).toMatch(/payment-provider {2}└─ POST \/charges$/);
    expect(lines[marker + 2]).toMatch(/payment-provider {5}└─ ChargesController\.create$/);
    expect(lines.find((l) => l.trim() === '⋯ (parent 3d440de9 not in trace)')).toBeDefined();
  });

  it('says a trace is still arriving while it is young', () => {
    expect(renderHeader(model(FIXTURES.arriving), plain)).toContain('! still arriving: 1 span references a parent not received yet; --wait polls until the trace stops growing');
    const old = model(FIXTURES.arriving, Date.now() * 1000);
    expect(renderHeader(old, plain)).toContain('1 span references a parent not in the trace');
  });

  it('marks clock skew on the span and in the header', () => {
    const m = model(FIXTURES.skewed);
    expect(renderHeader(m, plain)).toContain("! clock skew: 1 span starts before its parent; shown from the parent's start, marked \"skew\"");
    expect(lineOf(draw(m), '└─ POST /charges')).toMatch(/^\s+\+85\.0ms\s+17\.0ms .*POST \/charges {2}skew: started 7\.0ms before its parent$/);
  });

  it('marks errors and prints their exception', () => {
    const text = draw(model(FIXTURES.poison));
    const errors = text.split('\n').filter((l) => l.includes('✗ cart.order-events process'));
    expect(errors).toHaveLength(3);
    expect(errors[1]).toContain('queue cart.order-events  retry 1  exception Error: cannot record order');
  });

  it('names the trace a span link points to', () => {
    expect(lineOf(draw(model(FIXTURES.links)), 'payment.requests process')).toMatch(/→ linked trace 2477b4f8c12f85a570d1db2b1591e148$/);
  });
});

describe('collapsed runs', () => {
  const m = model(FIXTURES.nPlusOne);

  it('folds the N+1 ladder into one line per kind, with the total', () => {
    const text = draw(m);
    expect(text).toMatch(/├─ ×9 pg\.query:SELECT traceshop_cc62f982 \(6\.1ms in all\) {2}SELECT p\.sku, p\.name, p\.price_cents AS "priceCents", p\.curr…$/m);
    expect(text).toMatch(/└─ ×9 pg-pool\.connect \(0\.5ms in all\)$/m);
    // The first, different, SELECT stays on its own line.
    expect(text).toContain('├─ pg.query:SELECT traceshop_cc62f982  SELECT sku FROM products ORDER BY sku');
    expect(text.trimEnd().split('\n')).toHaveLength(1 + m.spans.length - 2 * 8);
  });

  it('shows every span with --expand', () => {
    expect(draw(m, { expand: true }).trimEnd().split('\n')).toHaveLength(1 + m.spans.length);
  });

  it('starts every line with its span id with --ids (one line per span, so every id is there once)', () => {
    const lines = draw(m, { ids: true }).trimEnd().split('\n');
    expect(lines).toHaveLength(1 + m.spans.length);
    expect(lines[0]).toMatch(/^span id {10}/);
    const ids = lines.slice(1).map((l) => l.slice(0, 16));
    expect(new Set(ids)).toEqual(new Set(m.spans.map((s) => s.spanId)));
  });

  it('needs RUN_MIN alike siblings, not split by a sibling of another kind', () => {
    const products = span(m, 'products', 'inventory');
    const siblings = products.childIds.map((id) => m.spans.find((s) => s.spanId === id)!);
    expect(collapse(siblings).map((i) => i.spans.length)).toEqual([1, 1, 1, 9, 9]);
    // Four queries are not a run.
    const selects = siblings.filter((s) => s.name.startsWith('pg.query:SELECT') && s.notes[0].startsWith('SELECT p.'));
    expect(collapse(selects.slice(0, RUN_MIN - 1)).map((i) => i.spans.length)).toEqual([1, 1, 1, 1]);
  });
});
