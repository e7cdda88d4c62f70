import { criticalPath, criticalTimes, type TimedSpan } from './critical-path';
import { FIXTURES, model, span } from './fixtures';
import { summarize } from './summary';

const P: TimedSpan = { id: 'p', start: 0, end: 100 };
const child = (id: string, start: number, end: number, parentId = 'p'): TimedSpan => ({ id, parentId, start, end });

describe('criticalPath (Jaeger UI’s algorithm)', () => {
  it('walks back from the root’s end through the last-finishing child, the root owning the gaps', () => {
    const { sections } = criticalPath([P, child('a', 10, 40), child('b', 50, 90)], 'p');
    expect(sections).toEqual([
      { spanId: 'p', start: 90, end: 100 },
      { spanId: 'b', start: 50, end: 90 },
      { spanId: 'p', start: 40, end: 50 },
      { spanId: 'a', start: 10, end: 40 },
      { spanId: 'p', start: 0, end: 10 },
    ]);
  });

  it('skips a child that does not end before the cursor (it overlapped the one on the path)', () => {
    const { sections } = criticalPath([P, child('a', 10, 60), child('b', 20, 50)], 'p');
    expect(criticalTimes(sections)).toEqual(new Map([['p', 50], ['a', 50]]));
  });

  it('descends into grandchildren and climbs back with the cursor at the child’s start', () => {
    const { sections } = criticalPath([P, child('a', 10, 90), child('g', 30, 80, 'a'), child('b', 0, 20)], 'p');
    // p 90..100, a 80..90, g 30..80, a 10..30, back in p at 10: b ends at 20, not before 10.
    expect(criticalTimes(sections)).toEqual(new Map([['p', 20], ['a', 30], ['g', 50]]));
  });

  it('clips children to their parent as Jaeger does, and leaves out what lies wholly outside it', () => {
    const { sections, outside } = criticalPath(
      [P, child('early', -10, 30), child('late', 80, 120), child('after', 100, 130), child('gone', -20, -5)],
      'p',
    );
    expect(criticalTimes(sections)).toEqual(new Map([['late', 20], ['p', 50], ['early', 30]]));
    expect(outside.sort()).toEqual(['after', 'gone']);
  });

  it('tiles the root exactly: the sections add up to its duration', () => {
    const { sections } = criticalPath([P, child('a', 10, 60), child('b', 20, 95), child('c', 30, 40, 'b')], 'p');
    expect(sections.reduce((sum, s) => sum + s.end - s.start, 0)).toBe(100);
  });
});

describe('the critical path of recorded traces', () => {
  it('covers a checkout from its root’s start to its end, one section after the other', () => {
    const m = model(FIXTURES.normal);
    const root = span(m, 'POST /api/checkout');
    expect(m.criticalPathUs).toBe(root.durationUs);
    const sections = m.spans.flatMap((s) => s.criticalSections).sort((a, b) => a[0] - b[0]);
    expect(sections[0][0]).toBe(root.offsetUs);
    expect(sections.at(-1)![1]).toBe(root.offsetUs + root.durationUs);
    for (let i = 1; i < sections.length; i++) expect(sections[i][0]).toBe(sections[i - 1][1]);
  });

  it('runs through the token check and the reservation, but not into payment: its consumer starts after the publish ended', () => {
    const m = model(FIXTURES.normal);
    for (const name of ['POST /api/checkout', 'CheckoutController.create', 'create', 'POST /introspect', 'inventory.reserve', 'publish <default>'])
      expect(span(m, name)).toMatchObject({ critical: true });
    expect(span(m, 'get', 'auth').criticalUs).toBe(span(m, 'get', 'auth').durationUs);
    const consumer = span(m, 'payment.requests process');
    expect(m.spans.filter((s) => s.service === 'payment' || s.service === 'payment-provider').some((s) => s.critical)).toBe(false);
    // ... which is said, with the cart consumer that starts after its publish too.
    expect(m.criticalPathOutside).toEqual([consumer.spanId, span(m, 'cart.order-events process').spanId]);
    // So the wait for payment is gateway `create`'s own time on the path (Jaeger counts it so).
    expect(span(m, 'create', 'gateway').criticalUs).toBe(116_758);
  });

  it('adds up per service to the whole path (gateway 150.2 ms, inventory 14.5, auth 10.9, cart 3.3)', () => {
    const m = model(FIXTURES.normal);
    const byService = Object.fromEntries(summarize(m).map((s) => [s.service, s.criticalUs]));
    expect(byService).toEqual({ gateway: 150_186, inventory: 14_462, auth: 10_912, cart: 3_267, payment: 0, 'payment-provider': 0 });
  });

  it('follows the ladder of an N+1 query to its last SELECT', () => {
    const m = model(FIXTURES.nPlusOne);
    const selects = m.spans.filter((s) => s.name.startsWith('pg.query:SELECT'));
    expect(selects.at(-1)!.critical).toBe(true);
    expect(m.criticalPathUs).toBe(span(m, 'GET /api/products').durationUs);
  });

  it('goes into the consumer of the linked trace, which is its own root', () => {
    const m = model(FIXTURES.links);
    expect(span(m, 'POST /charges', 'payment-provider').critical).toBe(true);
    expect(m.criticalPathUs).toBe(span(m, 'payment.requests process').durationUs);
  });
});
