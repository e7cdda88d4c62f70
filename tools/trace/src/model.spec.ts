import { FIXTURES, model, span, trace } from './fixtures';
import { ARRIVING_WINDOW_US, buildModel, covered, uncovered } from './model';

describe('buildModel on a normal checkout', () => {
  const m = model(FIXTURES.normal);

  it('places every span once, parents before children, under the one root', () => {
    expect(m.spans).toHaveLength(trace(FIXTURES.normal).spans.length);
    expect(new Set(m.spans.map((s) => s.spanId)).size).toBe(m.spans.length);
    const root = span(m, 'POST /api/checkout', 'gateway');
    expect(m.rootIds).toEqual([root.spanId]);
    expect(m.spans[0]).toBe(root);
    const position = new Map(m.spans.map((s, i) => [s.spanId, i]));
    for (const s of m.spans.slice(1)) expect(position.get(s.parentId!)).toBeLessThan(position.get(s.spanId)!);
    expect(m.missingParents).toEqual([]);
    expect(m.services.sort()).toEqual(['auth', 'cart', 'gateway', 'inventory', 'payment', 'payment-provider']);
  });

  it('indents by parentage: the provider is 7 levels below the checkout (create, publish, the consumer, the charge, its POST)', () => {
    expect(span(m, 'POST /api/checkout').depth).toBe(0);
    expect(span(m, 'create', 'gateway').depth).toBe(2);
    expect(span(m, 'payment.requests process', 'payment').depth).toBe(4);
    expect(span(m, 'POST /charges', 'payment-provider').depth).toBe(7);
  });

  it('measures offsets from the earliest span and the trace to the latest end (the cart consumer outlives the request)', () => {
    expect(span(m, 'POST /charges').offsetUs).toBe(88_000);
    expect(span(m, 'POST /charges').durationUs).toBe(17_033);
    expect(span(m, 'POST /api/checkout').durationUs).toBe(178_827);
    expect(m.durationUs).toBe(180_378);
  });

  it('takes self time as the duration minus the time its children cover, overlaps counted once', () => {
    // payment's POST to the provider (21.2 ms) waited 17.0 ms for the provider's server span.
    expect(span(m, 'POST', 'payment').selfUs).toBe(21_175 - 17_033);
    // create (159.5 ms) mostly waits for payment through a message: its children are short.
    expect(span(m, 'create', 'gateway').selfUs).toBe(115_758);
    for (const s of m.spans) {
      expect(s.selfUs).toBeGreaterThanOrEqual(0);
      expect(s.selfUs).toBeLessThanOrEqual(s.durationUs);
    }
    expect(span(m, 'create', 'payment-provider').selfUs).toBe(span(m, 'create', 'payment-provider').durationUs); // a leaf
  });

  it('has nothing skewed, orphaned or arriving in a trace that is whole', () => {
    expect(m.spans.filter((s) => s.skewUs > 0 || s.orphan)).toEqual([]);
    expect(m.arriving).toBe(false);
  });

  it('knows which spans are errors (none here; three consumer attempts in the poison-message trace)', () => {
    expect(m.spans.filter((s) => s.error)).toEqual([]);
    const poison = model(FIXTURES.poison);
    expect(poison.spans.filter((s) => s.error).map((s) => `${s.service} ${s.name}`)).toEqual(Array(3).fill('cart cart.order-events process'));
  });
});

describe('buildModel on broken traces', () => {
  it("keeps the spans whose parent never arrived (payment's spans lost), under their missing parent", () => {
    const m = model(FIXTURES.orphans);
    expect(m.spans).toHaveLength(trace(FIXTURES.orphans).spans.length);
    expect(m.missingParents).toEqual([
      { parentId: 'bb49a84122a003e4', childIds: [span(m, 'POST /charges', 'payment-provider').spanId] },
      { parentId: '3d440de96cd4ed2c', childIds: [span(m, 'amq.rabbitmq.reply-to process', 'gateway').spanId] },
    ]);
    const charges = span(m, 'POST /charges', 'payment-provider');
    expect(charges).toMatchObject({ orphan: true, depth: 0 });
    // Its subtree comes along, below it.
    expect(span(m, 'ChargesController.create')).toMatchObject({ orphan: false, depth: 1, parentId: charges.spanId });
    // Recorded long ago: lost, not arriving.
    expect(m.arriving).toBe(false);
  });

  it('says a young trace with a missing parent is still arriving, and an old one is not', () => {
    // Read 135 ms after the checkout began: payment's publish, the reply's parent, was not in yet.
    const young = model(FIXTURES.arriving);
    expect(young.missingParents.map((p) => p.childIds.length)).toEqual([1]);
    expect(young.arriving).toBe(true);
    const end = young.startTime + young.durationUs;
    expect(model(FIXTURES.arriving, end + ARRIVING_WINDOW_US + 1).arriving).toBe(false);
    // A young trace without missing parents is complete as far as anyone can tell.
    const normal = model(FIXTURES.normal);
    expect(model(FIXTURES.normal, normal.startTime + normal.durationUs + 1).arriving).toBe(false);
  });

  it('clamps a child that starts before its parent (the provider clock 10 ms behind) and keeps its subtree in step', () => {
    const m = model(FIXTURES.skewed);
    const post = span(m, 'POST', 'payment');
    const charges = span(m, 'POST /charges', 'payment-provider');
    // 10 ms behind, it started 7 ms before payment's POST (which started 3 ms before it really).
    expect(charges.skewUs).toBe(7_000);
    expect(charges.offsetUs).toBe(post.offsetUs);
    expect(charges.durationUs).toBe(17_033);
    // Its children move with it: ChargesController.create still starts 2 ms after it.
    const controller = span(m, 'ChargesController.create');
    expect(controller.skewUs).toBe(0);
    expect(controller.offsetUs).toBe(charges.offsetUs + 2_000);
    expect(m.spans.filter((s) => s.skewUs > 0)).toEqual([charges]);
  });

  it('shows spans caught in a reference cycle as orphans instead of dropping them', () => {
    const t = structuredClone(trace(FIXTURES.normal));
    const root = t.spans.find((s) => s.operationName === 'POST /api/checkout')!;
    const controller = t.spans.find((s) => s.operationName === 'CheckoutController.create')!;
    root.references = [{ refType: 'CHILD_OF', traceID: t.traceID, spanID: controller.spanID }];
    const m = buildModel(t);
    expect(m.spans).toHaveLength(t.spans.length);
    expect(m.rootIds).toEqual([]);
    expect(m.spans.filter((s) => s.orphan)).toHaveLength(1);
  });

  it('keeps one of a span Jaeger returns twice', () => {
    const t = structuredClone(trace(FIXTURES.normal));
    t.spans.push(structuredClone(t.spans[3]));
    const m = buildModel(t);
    expect(m.spans).toHaveLength(t.spans.length - 1);
    // Nor is it its parent's child twice (the waterfall would draw it twice).
    const childIds = m.spans.flatMap((s) => s.childIds);
    expect(new Set(childIds).size).toBe(childIds.length);
  });
});

describe('span links', () => {
  it("reads a consumer's link to the producer's trace (TRACESHOP_AMQP_CONSUME_LINKS=true)", () => {
    const m = model(FIXTURES.links);
    expect(span(m, 'payment.requests process').links).toEqual([{ traceId: '2477b4f8c12f85a570d1db2b1591e148', spanId: 'e3836f1d8d5088a8' }]);
    // A link is not a parent: the consumer is this trace's root.
    expect(m.rootIds).toEqual([span(m, 'payment.requests process').spanId]);
  });
});

describe('interval arithmetic', () => {
  it('covered counts overlaps once and clips to the window', () => {
    expect(covered(0, 100, [{ start: 10, end: 30 }, { start: 20, end: 40 }, { start: 90, end: 120 }])).toBe(40);
    expect(covered(0, 100, [])).toBe(0);
  });
  it('uncovered is the rest', () => {
    expect(uncovered(0, 100, [{ start: 10, end: 30 }, { start: 20, end: 40 }, { start: 90, end: 120 }])).toEqual([
      { start: 0, end: 10 },
      { start: 40, end: 90 },
    ]);
  });
});
