import { context, trace } from '@opentelemetry/api';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { REDACTED, RedactingSpanProcessor, redactValue } from './redaction';

describe('redaction', () => {
  it('blanks values under secret keys whatever they are', () => {
    expect(redactValue('user.password', 'hunter2')).toBe(REDACTED);
    expect(redactValue('http.request.header.authorization', ['Bearer x'])).toBe(REDACTED);
    expect(redactValue('payment.cvc', 123)).toBe(REDACTED);
  });

  it('finds card numbers and bearer tokens inside ordinary values', () => {
    expect(redactValue('db.query.text', "card='4242 4242 4242 4242' ok")).toBe(`card='${REDACTED}' ok`);
    expect(redactValue('note', 'amex 3782 822463 10005, visa 4000-0000-0000-0002')).toBe(`amex ${REDACTED}, visa ${REDACTED}`);
    expect(redactValue('message', 'sent Bearer abc.def-123 along')).toBe(`sent ${REDACTED} along`);
  });

  it('leaves ordinary values alone', () => {
    expect(redactValue('http.route', '/api/orders/:id')).toBe('/api/orders/:id');
    expect(redactValue('traceshop.fraud.passed', true)).toBe(true);
    expect(redactValue('traceshop.order.total_cents', 4200)).toBe(4200);
    expect(redactValue('traceshop.order.id', '0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(
      '0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    // a UUID whose last groups are all digits is still not a card number
    expect(redactValue('url.path', '/api/orders/5cf81706-f13d-44e6-4427-747781874613')).toBe('/api/orders/5cf81706-f13d-44e6-4427-747781874613');
    expect(redactValue('traceshop.started_ms', 1795323726416)).toBe(1795323726416);
  });

  it('cleans span and event attributes before the exporter sees them', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [new RedactingSpanProcessor(), new SimpleSpanProcessor({ exporter })],
    });
    const span = provider.getTracer('t').startSpan('s', {}, context.active());
    span.setAttribute('card.number', '4000000000000002');
    span.setAttribute('note', 'paid with 4242424242424242');
    span.addEvent('login', { password: 'hunter2', 'user.email': 'a@b.c' });
    span.end();

    const [exported] = exporter.getFinishedSpans();
    expect(exported.attributes['card.number']).toBe(REDACTED);
    expect(exported.attributes['note']).toBe(`paid with ${REDACTED}`);
    expect(exported.events[0].attributes).toEqual({ password: REDACTED, 'user.email': 'a@b.c' });
    expect(JSON.stringify(exported.attributes)).not.toMatch(/4242|4000000/);
    expect(trace).toBeDefined();
  });
});
