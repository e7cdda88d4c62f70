import { getTrace, otlpSpan, roots, sendSpans, Stack, startStack, tag } from '@traceshop/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SECRET_KEY_RULES, SECRET_VALUE_RULES } from './redaction.rules';

const OTEL = join(__dirname, '../../../../otel');
const config = (file: string) => parse(readFileSync(join(OTEL, file), 'utf8'));
/** The rules as the Collector's Go regular expressions write them. */
const KEYS = `(?i)(${SECRET_KEY_RULES.map((r) => r.pattern).join('|')})`;
const VALUES = SECRET_VALUE_RULES.map((r) => `${r.ignoreCase ? '(?i)' : ''}${r.pattern}`);
const SECRET = (i: number) => `s3cr3t-value-${i}`;

// otel/collector.yaml cannot import redaction.rules.ts: its lists are checked against it instead.
describe('otel/collector.yaml', () => {
  const { processors } = config('collector.yaml');

  it('deletes the attributes named as the rules name secrets', () => {
    expect(processors['attributes/secrets'].actions).toEqual([{ pattern: KEYS, action: 'delete' }]);
  });

  it('masks the rules` names (in events too) and shapes anywhere', () => {
    expect(processors.redaction).toMatchObject({ allow_all_keys: true, blocked_key_patterns: [KEYS], blocked_values: VALUES });
  });

  it('has both first after the memory limiter in every pipeline to Jaeger, whichever sampling file is added', () => {
    type Pipeline = { exporters?: string[]; processors: string[] };
    const pipelines = Object.entries<Pipeline>(config('collector.yaml').service.pipelines);
    const toJaeger = pipelines.filter(([, p]) => p.exporters?.some((e) => e.endsWith('/jaeger')));
    const overlays = ['keep-all', 'tail'].map((s) => [`traces with collector.sampling-${s}.yaml`, config(`collector.sampling-${s}.yaml`).service.pipelines.traces] as const);
    expect(toJaeger.map(([name]) => name)).toContain('traces');
    for (const [name, { processors }] of [...toJaeger, ...overlays]) expect([name, processors.slice(0, 3)]).toEqual([name, ['memory_limiter', 'attributes/secrets', 'redaction']]);
  });
});

// The pinned Collector with otel/collector.yaml, for real: a span sent straight to it over OTLP
// (no SDK, so no first line of redaction) with a secret of every rule in its attributes and in an
// event's; Jaeger must show none of them.
describe('the Collector`s redaction, read back from Jaeger', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ apps: [], ephemeral: true, portBase: 23_000 });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps no secret of any rule, and everything else', async () => {
    const attributes = {
      'traceshop.order.id': 'order-42',
      ...Object.fromEntries(SECRET_KEY_RULES.map(({ example }, i) => [example, SECRET(i)])),
      ...Object.fromEntries(SECRET_VALUE_RULES.map(({ example }, i) => [`traceshop.note.${i}`, `paid with ${example}`])),
    };
    const span = otlpSpan({ name: 'with secrets', attributes, events: [{ name: 'secrets again', attributes }] });
    expect(await sendSpans(stack.collectorOtlpHttpUrl, 'redaction-spec', [span])).toBe(200);

    const trace = await getTrace(stack.jaegerUrl, span.traceId);
    const json = JSON.stringify(trace);
    for (const [i, { example }] of SECRET_KEY_RULES.entries()) expect([example, json.includes(SECRET(i))]).toEqual([example, false]);
    for (const { name, example } of SECRET_VALUE_RULES) expect([name, json.includes(example)]).toEqual([name, false]);

    const [stored] = roots(trace);
    expect(tag(stored, 'traceshop.order.id')).toBe('order-42');
    // A secret name's attribute is deleted; in the event, masked. A shape is masked in place.
    for (const { example } of SECRET_KEY_RULES) expect([example, tag(stored, example)]).toEqual([example, undefined]);
    const event = Object.fromEntries(stored.logs[0].fields.map((f) => [f.key, f.value]));
    for (const { example } of SECRET_KEY_RULES) expect([example, event[example]]).toEqual([example, '****']);
    for (const [i] of SECRET_VALUE_RULES.entries()) {
      expect(tag(stored, `traceshop.note.${i}`)).toBe('paid with ****');
      expect(event[`traceshop.note.${i}`]).toBe('paid with ****');
    }
  });
});
