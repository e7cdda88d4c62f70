import { context } from '@opentelemetry/api';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startNodeChild, startStandIn } from '@traceshop/testing';
import { join } from 'node:path';
import { REDACTED, RedactingSpanProcessor, redactLogLine, redactValue } from './redaction';
import { SECRET_KEY_RULES, SECRET_VALUE_RULES } from './redaction.rules';

/** A secret value per name rule, different each time, so a leak says which rule failed. */
const SECRET = (i: number) => `s3cr3t-value-${i}`;

describe('redaction', () => {
  it('blanks values under every secret name, whatever they are', () => {
    for (const [i, { example }] of SECRET_KEY_RULES.entries()) expect([example, redactValue(example, SECRET(i))]).toEqual([example, REDACTED]);
    expect(redactValue('http.request.header.authorization', ['Bearer x'])).toBe(REDACTED);
    expect(redactValue('payment.cvc', 123)).toBe(REDACTED);
  });

  it('masks every secret shape inside ordinary values', () => {
    for (const { name, example } of SECRET_VALUE_RULES) expect([name, redactValue('note', `before ${example}, after`)]).toEqual([name, `before ${REDACTED}, after`]);
    expect(redactValue('db.query.text', "card='4242 4242 4242 4242' ok")).toBe(`card='${REDACTED}' ok`);
    expect(redactValue('message', 'sent bearer abc.def-123 along')).toBe(`sent ${REDACTED} along`);
  });

  it('leaves ordinary names and values alone', () => {
    expect(redactValue('http.route', '/api/orders/:id')).toBe('/api/orders/:id');
    expect(redactValue('traceshop.fraud.passed', true)).toBe(true); // "pass" only as a word of its own
    expect(redactValue('traceshop.fraud.card_payments_24h', 3)).toBe(3);
    expect(redactValue('traceshop.order.total_cents', 4200)).toBe(4200);
    expect(redactValue('company.name', 'Span & Co')).toBe('Span & Co'); // "pan" likewise
    // a UUID whose last groups are all digits is still not a card number
    expect(redactValue('url.path', '/api/orders/5cf81706-f13d-44e6-4427-747781874613')).toBe('/api/orders/5cf81706-f13d-44e6-4427-747781874613');
    expect(redactValue('traceshop.started_ms', '1795323726416')).toBe('1795323726416');
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
  });

  it('cleans a JSON log line the same way: names at any depth, shapes in any text', () => {
    const line = JSON.stringify({
      level: 30,
      req: { url: '/api/checkout', headers: { authorization: 'Bearer abc', cookie: 'sid=1', accept: '*/*' } },
      err: { message: 'declined 4242424242424242', stack: 'Error: declined 4242424242424242\n    at x' },
      msg: 'request completed',
    });
    expect(JSON.parse(redactLogLine(`${line}\n`))).toEqual({
      level: 30,
      req: { url: '/api/checkout', headers: { authorization: REDACTED, cookie: REDACTED, accept: '*/*' } },
      err: { message: `declined ${REDACTED}`, stack: `Error: declined ${REDACTED}\n    at x` },
      msg: 'request completed',
    });
    expect(redactLogLine(`${line}\n`).endsWith('}\n')).toBe(true);
    const plain = '{"level":30,"msg":"request completed"}\n';
    expect(redactLogLine(plain)).toBe(plain);
  });
});

// The SDK as every service starts it: the preload in a child process exports over OTLP to a
// stand-in for the Collector, whose bytes (protobuf, strings as they are) must hold no secret:
// the RedactingSpanProcessor is in the SDK's pipeline, before the exporter.
describe('redaction in the preload`s SDK', () => {
  it('sends no secret of any rule to the Collector', async () => {
    const received: string[] = []; // protobuf, whose strings are there as they were written
    const collector = await startStandIn((_req, res, body) => (received.push(body), res.writeHead(200).end()));
    const attributes = {
      ...Object.fromEntries(SECRET_KEY_RULES.map(({ example }, i) => [example, SECRET(i)])),
      ...Object.fromEntries(SECRET_VALUE_RULES.map(({ example }, i) => [`traceshop.note.${i}`, `paid with ${example}`])),
      'traceshop.order.id': 'order-42',
    };
    const child = startNodeChild(
      `const span = require('@opentelemetry/api').trace.getTracer('redaction-spec').startSpan('with secrets', { attributes: ${JSON.stringify(attributes)} });
       span.addEvent('secrets again', ${JSON.stringify(attributes)});
       span.end();
       console.log('ready');
       setInterval(() => undefined, 1000);`,
      {
        preload: join(__dirname, '../preload.ts'),
        env: { ...process.env, OTEL_SERVICE_NAME: 'redaction-spec', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_LOG_LEVEL: '' },
        ready: /^ready$/m, // the span has ended
      },
    );
    await child.ready;
    const code = await child.stop(); // SIGTERM: the preload flushes, then exits
    await collector.close();

    const sent = received.join('');
    expect(code).toBe(0);
    expect(sent).toContain('order-42'); // the span did arrive
    for (const [i, { example }] of SECRET_KEY_RULES.entries()) expect([example, sent.includes(SECRET(i))]).toEqual([example, false]);
    for (const { name, example } of SECRET_VALUE_RULES) expect([name, sent.includes(example)]).toEqual([name, false]);
  }, 30_000);
});
