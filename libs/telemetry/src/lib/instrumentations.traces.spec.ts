import { findTraces, getTrace, killChildren, NodeChild, parentOf, Stack, startNodeChild, startStack, tag, waitFor, type JaegerSpan, type JaegerTrace } from '@traceshop/testing';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

// What the instrumentations' options do to real traces: a child process with the preload uses
// Express, pg, ioredis, amqplib and pino against the machine's Postgres, Redis and RabbitMQ and
// exports to a real Collector and Jaeger.
const ROOT = join(__dirname, '../../../..');
const PRELOAD = join(__dirname, '../preload.ts');
const HTTP_CLIENT = join(__dirname, '../../../platform/src/lib/http-client.ts');

const CHILD = `
  const api = require('@opentelemetry/api');
  const express = require('express');
  const { Client } = require('pg');
  const Redis = require('ioredis');
  const amqp = require('amqplib');
  const pino = require('pino');
  const { once } = require('events');
  const tracer = api.trace.getTracer('instrumentations-spec');
  (async () => {
    // pg and Redis without a parent span, then under one.
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    await db.query('SELECT 1');
    const redis = new Redis(process.env.REDIS_URL);
    await redis.ping();
    const logger = pino();
    const withParent = await tracer.startActiveSpan('with-parent', async (span) => {
      await db.query('SELECT 2');
      await db.query('SELECT count(*) FROM pg_class WHERE relname = $1', ['pg_type']);
      await redis.ping();
      await redis.eval('return ARGV[1]', 0, 'someone@example.com');
      logger.info('in-span');
      span.end();
      return span.spanContext().traceId;
    });
    // A message published under a span, and consumed.
    const channel = await (await amqp.connect(process.env.AMQP_URL)).createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    const consumed = new Promise((resolve) => channel.consume(queue, (msg) => { channel.ack(msg); resolve(); }));
    const published = tracer.startActiveSpan('publisher', (span) => {
      channel.sendToQueue(queue, Buffer.from('hello'));
      span.end();
      return span.spanContext().traceId;
    });
    await consumed;
    // An Express app with a middleware, a health route and a parameterised route.
    const app = express();
    app.use(express.json());
    app.get('/health/ready', (req, res) => res.send('ok'));
    app.get('/items/:id', (req, res) => res.send('item ' + req.params.id));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    // A call through libs/platform's ServiceClient, which names the service it calls.
    const { ServiceClient } = require(${JSON.stringify(HTTP_CLIENT)});
    const items = new ServiceClient({ service: 'items', baseUrl: 'http://127.0.0.1:' + server.address().port, timeoutMs: 5000 });
    const called = await tracer.startActiveSpan('caller', async (span) => {
      await items.request('/items/1');
      span.end();
      return span.spanContext().traceId;
    });
    console.log('ready ' + JSON.stringify({ port: server.address().port, withParent, published, called }));
    setInterval(() => undefined, 1000);
  })().catch((e) => { console.error(e); process.exit(1); });
`;

interface Child {
  service: string;
  process: NodeChild;
  port: number;
  withParent: string;
  published: string;
  called: string;
}

afterEach(killChildren); // those a failed assertion left running

async function startChild(stack: Stack, service: string, env: Record<string, string> = {}): Promise<Child> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && !k.startsWith('TRACESHOP_')));
  const child = startNodeChild(CHILD, {
    preload: PRELOAD,
    env: {
      ...base,
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: stack.collectorOtlpHttpUrl,
      DATABASE_URL: stack.databaseUrl,
      REDIS_URL: process.env.TRACESHOP_REDIS_URL || 'redis://127.0.0.1:6379',
      AMQP_URL: stack.amqpUrl,
      ...env,
    },
    ready: /^ready (\{.*\})\n/m,
  });
  const [, ready] = await child.ready;
  return { service, process: child, ...JSON.parse(ready) };
}

/** A sampled traceparent with a fresh trace id: the request's server span joins that trace. */
function traceparent() {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

const processTags = (trace: JaegerTrace, span: JaegerSpan) => Object.fromEntries(trace.processes[span.processID].tags.map((t) => [t.key, t.value]));
const scopeOf = (span: JaegerSpan) => tag(span, 'otel.scope.name') ?? tag(span, 'otel.library.name');
const fromScope = (trace: JaegerTrace, name: string) => trace.spans.filter((s) => scopeOf(s) === `@opentelemetry/instrumentation-${name}`);

async function traceExists(jaegerUrl: string, traceId: string) {
  return (await fetch(new URL(`/api/traces/${traceId}`, jaegerUrl))).status !== 404;
}

describe('instrumentations, in real traces', () => {
  let stack: Stack;
  // The same code twice: with the defaults, and with both TRACESHOP_* switches on.
  let plain: Child;
  let switched: Child;
  const requests: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack({ apps: [], ephemeral: true, portBase: 28_200 });
    [plain, switched] = await Promise.all([
      startChild(stack, `instr-spec-${process.pid}`),
      startChild(stack, `instr-spec-switched-${process.pid}`, {
        TRACESHOP_EXPRESS_SPANS: 'true',
        TRACESHOP_AMQP_CONSUME_LINKS: 'true',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=compose',
      }),
    ]);
    for (const [name, child, path] of [['health', plain, '/health/ready'], ['item', plain, '/items/42'], ['switchedItem', switched, '/items/7']] as const) {
      const { traceId, header } = traceparent();
      requests[name] = traceId;
      expect((await fetch(`http://127.0.0.1:${child.port}${path}`, { headers: { traceparent: header } })).status).toBe(200);
    }
    await Promise.all([plain.process.stop(), switched.process.stop()]); // SIGTERM: the preload flushes every span, then exits
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('trace requests, named after their Express route, but not health checks', async () => {
    const item = await getTrace(stack.jaegerUrl, requests.item);
    expect(item.spans.map((s) => s.operationName)).toContain('GET /items/:id');
    // Flushed in the same export as the item's spans: had it been traced, it would be there too.
    expect(await traceExists(stack.jaegerUrl, requests.health)).toBe(false);
  });

  it('make pg and ioredis spans only under a parent span', async () => {
    const traced = await getTrace(stack.jaegerUrl, plain.withParent, { until: (t) => fromScope(t, 'pg').length > 0 && fromScope(t, 'ioredis').some((s) => s.operationName === 'eval') });
    expect(fromScope(traced, 'pg').map((s) => s.operationName)).toEqual(expect.arrayContaining([expect.stringMatching(/SELECT/)]));
    // A script's arguments stay out of the statement (the rate limits' are hashes of an email).
    const evalSpan = fromScope(traced, 'ioredis').find((s) => s.operationName === 'eval');
    expect(tag(evalSpan!, 'db.query.text')).toBe('eval [3 arguments]');
    // The connects and the SELECT 1 / PING before it made no trace of their own.
    const all = await findTraces(stack.jaegerUrl, { service: plain.service, limit: 100 });
    const lone = all.filter((t) => t.traceID !== plain.withParent).flatMap((t) => [...fromScope(t, 'pg'), ...fromScope(t, 'ioredis')]);
    expect(lone.map((s) => s.operationName)).toEqual([]);
  });

  it('make no Express spans, unless TRACESHOP_EXPRESS_SPANS=true', async () => {
    const item = await getTrace(stack.jaegerUrl, requests.item);
    expect(fromScope(item, 'express')).toEqual([]);
    const switchedItem = await getTrace(stack.jaegerUrl, requests.switchedItem, { until: (t) => fromScope(t, 'express').length > 0 });
    expect(fromScope(switchedItem, 'express').map((s) => s.operationName)).toContain('request handler');
  });

  it('make a consumer the child of its publisher, or its linked root with TRACESHOP_AMQP_CONSUME_LINKS=true', async () => {
    const isConsumer = (s: JaegerSpan) => tag(s, 'span.kind') === 'consumer';
    const child = await getTrace(stack.jaegerUrl, plain.published, { until: (t) => t.spans.some(isConsumer) });
    expect(parentOf(child.spans.find(isConsumer)!)).toBeDefined();

    const linked = await waitFor(
      () => findTraces(stack.jaegerUrl, { service: switched.service, limit: 100 }),
      (traces) => traces.some((t) => t.spans.some((s) => isConsumer(s) && s.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.traceID === switched.published))),
      { what: 'a consumer span linked to the publisher' },
    );
    const consumer = linked.flatMap((t) => t.spans).find((s) => isConsumer(s) && s.references.some((r) => r.traceID === switched.published))!;
    expect(consumer.traceID).not.toBe(switched.published);
    expect(parentOf(consumer)).toBeUndefined();
  });

  it('name database spans by their query summary (operation and table), with the stable attributes', async () => {
    const traced = await getTrace(stack.jaegerUrl, plain.withParent, { until: (t) => fromScope(t, 'pg').length >= 2 });
    const pg = fromScope(traced, 'pg');
    expect(pg.map((s) => s.operationName).sort()).toEqual(['SELECT', 'SELECT pg_class']);
    const table = pg.find((s) => s.operationName === 'SELECT pg_class')!;
    expect(tag(table, 'db.query.summary')).toBe('SELECT pg_class');
    expect(tag(table, 'db.query.text')).toBe('SELECT count(*) FROM pg_class WHERE relname = $1');
    expect(tag(table, 'db.namespace')).toBe(new URL(stack.databaseUrl).pathname.slice(1));
    expect(tag(table, 'db.system.name')).toBe('postgresql');
  });

  it('name a publish after where it goes, a generated queue by its template (never `<default>`)', async () => {
    const published = await getTrace(stack.jaegerUrl, plain.published, { until: (t) => fromScope(t, 'amqplib').some((s) => tag(s, 'span.kind') === 'producer') });
    const publish = fromScope(published, 'amqplib').find((s) => tag(s, 'span.kind') === 'producer')!;
    // The child's queue is server-named (amq.gen-…): one name for all such queues.
    expect(publish.operationName).toBe('publish amq.gen');
    expect(tag(publish, 'messaging.destination.name')).toMatch(/^amq\.gen-/);
    expect(tag(publish, 'messaging.destination.template')).toBe('amq.gen');
    expect(tag(publish, 'messaging.operation.name')).toBe('publish');
  });

  it('say whom a ServiceClient call goes to: peer.service on the client span, also for Jaeger', async () => {
    const called = await getTrace(stack.jaegerUrl, plain.called, { until: (t) => fromScope(t, 'undici').length > 0 && fromScope(t, 'http').length > 0 });
    const [client] = fromScope(called, 'undici');
    expect(client.operationName).toBe('GET'); // {method}: ServiceClient's paths are concrete, no template
    expect(tag(client, 'peer.service')).toBe('items');
    expect(tag(client, 'server.service.name')).toBe('items');
    expect(tag(client, 'server.address')).toBe('127.0.0.1');
    const server = called.spans.find((s) => parentOf(s) === client.spanID)!;
    expect(server.operationName).toBe('GET /items/:id');
  });

  it('describe the service on every span: namespace, version, one id per process, environment (native unless OTEL_RESOURCE_ATTRIBUTES says), no command line', async () => {
    const [plainTrace, switchedTrace] = await Promise.all([getTrace(stack.jaegerUrl, requests.item), getTrace(stack.jaegerUrl, requests.switchedItem)]);
    const [p, s] = [processTags(plainTrace, plainTrace.spans[0]), processTags(switchedTrace, switchedTrace.spans[0])];
    expect(p).toMatchObject({
      'service.namespace': 'traceshop',
      'service.version': require(join(ROOT, 'package.json')).version,
      'deployment.environment.name': 'native',
      'service.instance.id': expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      'process.runtime.name': 'nodejs',
    });
    expect(s['deployment.environment.name']).toBe('compose');
    expect(s['service.instance.id']).not.toBe(p['service.instance.id']);
    for (const tags of [p, s]) expect(Object.keys(tags).filter((k) => /^process\.command_(args|line)$/.test(k))).toEqual([]);
  });

  it('put the trace id on pino log lines', () => {
    const line = plain.process.stdout().split('\n').find((l) => l.includes('"in-span"'));
    expect(JSON.parse(line!)).toMatchObject({ trace_id: plain.withParent });
  });
});
