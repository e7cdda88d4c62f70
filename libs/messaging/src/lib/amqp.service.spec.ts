import { INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { CART_ORDER_EVENTS_QUEUE, INVENTORY_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDERS_EXCHANGE, PAYMENT_REQUESTS_QUEUE } from '@traceshop/contracts';
import { createTestVhost, newRunId, queueDepth, waitFor } from '@traceshop/testing';
import { connect } from 'amqplib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BrokerUnavailableError, PublishUnconfirmedError, ReplyLostError, ReplyTimeoutError } from './amqp.errors';
import { AmqpService, DEADLINE, MAX_RETRIES, RETRY_COUNT } from './amqp.service';

// Against the real RabbitMQ, each describe in a vhost of its own. Connection loss is staged
// without stopping the shared broker: the broker closes our connection (rabbitmqctl), and while
// guest has no permissions on our vhost, every reconnect attempt is refused, as in an outage.

/** A service with nothing but AmqpService, its connection named `name`. */
async function start(url: string, name = 'amqp-spec'): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ AMQP_URL: url, OTEL_SERVICE_NAME: name })] })],
    providers: [AmqpService],
  }).compile();
  const app = moduleRef.createNestApplication();
  await app.init();
  return app;
}

async function deleteQueue(url: string, queue: string) {
  const conn = await connect(url);
  const ch = await conn.createChannel();
  await ch.deleteQueue(queue);
  await conn.close();
}

async function rabbitmqctl(...args: string[]): Promise<string> {
  return (await promisify(execFile)('rabbitmqctl', ['-q', ...args], { timeout: 60_000 })).stdout;
}

/** Lets guest into `vhost`, or refuses it (open connections stay; new ones are refused). */
const allowGuest = (vhost: string) => rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
const denyGuest = (vhost: string) => rabbitmqctl('clear_permissions', '-p', vhost, 'guest');

/** The broker's ids of the connections to `vhost` named `name`. */
async function connectionsOf(vhost: string, name: string): Promise<string[]> {
  const out = await rabbitmqctl('list_connections', '--no-table-headers', 'pid', 'vhost', 'client_properties');
  return out
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([, v, properties]) => v === vhost && properties?.includes(`{"connection_name","${name}"}`))
    .map(([pid]) => pid);
}

/** Has the broker close the service's connection, as a broker restart would. */
async function closeConnection(vhost: string, name: string) {
  const [pid] = await waitFor(() => connectionsOf(vhost, name), (pids) => pids.length === 1, { what: `the connection ${name}` });
  await rabbitmqctl('close_connection', pid, 'connection loss staged by amqp.service.spec');
}

describe('AmqpService', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let amqp: AmqpService;
  let close: () => Promise<void>;

  beforeAll(async () => {
    vhost = await createTestVhost();
    const app = await start(vhost.url);
    amqp = app.get(AmqpService);
    close = () => app.close();
  });

  afterAll(async () => {
    await close?.();
    await vhost?.drop();
  });

  const until = (check: () => Promise<boolean>) => waitFor(check, Boolean, { timeoutMs: 5_000, intervalMs: 20 });

  it('declares the topology and routes order events to both consumers', async () => {
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'o-1' });
    await until(async () => (await queueDepth(vhost.url, CART_ORDER_EVENTS_QUEUE)) === 1 && (await queueDepth(vhost.url, INVENTORY_ORDER_EVENTS_QUEUE)) === 1);
  });

  it('answers a request with the handler result, and dead-letters what the handler rejects', async () => {
    await amqp.consume<{ n: number }>(PAYMENT_REQUESTS_QUEUE, async ({ n }) => {
      if (n < 0) throw new Error('negative');
      return { doubled: n * 2 };
    });
    await expect(amqp.request(PAYMENT_REQUESTS_QUEUE, { n: 21 }, 5_000)).resolves.toEqual({ doubled: 42 });
    // concurrent requests each get their own reply
    const replies = await Promise.all([1, 2, 3].map((n) => amqp.request<{ doubled: number }>(PAYMENT_REQUESTS_QUEUE, { n }, 5_000)));
    expect(replies.map((r) => r.doubled)).toEqual([2, 4, 6]);

    // (Long enough for all its tries: a retry past the request's deadline would be dropped, not dead-lettered.)
    await expect(amqp.request(PAYMENT_REQUESTS_QUEUE, { n: -1 }, 2_000)).rejects.toBeInstanceOf(ReplyTimeoutError);
    await until(async () => (await queueDepth(vhost.url, `${PAYMENT_REQUESTS_QUEUE}.dlq`)) === 1);
  });

  it('tries a failing message again, as first delivered, then dead-letters it; a passing retry is kept', async () => {
    const tries: { orderId: string; routingKey: string; retry: unknown }[] = [];
    let flakyFailed = false;
    await amqp.consume<{ orderId: string }>(CART_ORDER_EVENTS_QUEUE, async ({ orderId }, msg) => {
      tries.push({ orderId, routingKey: msg.fields.routingKey, retry: msg.properties.headers?.[RETRY_COUNT] });
      if (orderId === 'poison') throw new Error('cannot process');
      if (orderId === 'flaky' && !flakyFailed) {
        flakyFailed = true;
        throw new Error('failed once');
      }
    });
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'poison' });
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'flaky' });
    const dlq = `${CART_ORDER_EVENTS_QUEUE}.dlq`;
    await until(async () => (await queueDepth(vhost.url, dlq)) === 1 && tries.filter((t) => t.orderId === 'flaky').length === 2 && (await queueDepth(vhost.url, CART_ORDER_EVENTS_QUEUE)) === 0);

    // 1 + MAX_RETRIES tries, each handed the routing key it was published with.
    expect(tries.filter((t) => t.orderId === 'poison')).toEqual(
      Array.from({ length: 1 + MAX_RETRIES }, (_, i) => ({ orderId: 'poison', routingKey: ORDER_CONFIRMED, retry: i === 0 ? undefined : i })),
    );
    expect(tries.filter((t) => t.orderId === 'flaky').map((t) => t.retry)).toEqual([undefined, 1]);
    // The dead letter is the message itself, with its retry count.
    const conn = await connect(vhost.url);
    const ch = await conn.createChannel();
    const dead = await ch.get(dlq, { noAck: true });
    await conn.close();
    expect(dead && JSON.parse(dead.content.toString())).toEqual({ orderId: 'poison' });
    expect(dead && dead.properties.headers?.[RETRY_COUNT]).toBe(MAX_RETRIES);
  });

  it('drops a request past its deadline unprocessed (nobody waits for it), and carries an outage of a dependency without using up the tries', async () => {
    const handled: string[] = [];
    let outages = 0;
    await amqp.consume<{ orderId: string }>(INVENTORY_ORDER_EVENTS_QUEUE, async ({ orderId }, msg) => {
      handled.push(`${orderId}:${msg.properties.headers?.[RETRY_COUNT] ?? 0}`);
      // As pg reports a refused connection while Postgres restarts: more failures than MAX_RETRIES.
      if (orderId === 'outage' && outages++ <= MAX_RETRIES) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    const conn = await connect(vhost.url);
    const ch = await conn.createChannel();
    ch.sendToQueue(INVENTORY_ORDER_EVENTS_QUEUE, Buffer.from(JSON.stringify({ orderId: 'too-late' })), { headers: { [DEADLINE]: Date.now() - 1 } });
    ch.sendToQueue(INVENTORY_ORDER_EVENTS_QUEUE, Buffer.from(JSON.stringify({ orderId: 'in-time' })), { headers: { [DEADLINE]: Date.now() + 60_000 } });
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'outage' });
    await conn.close();

    // Outage waits: 1 s, 2 s, 4 s, then the fourth delivery succeeds, its tries untouched.
    await waitFor(async () => handled.filter((h) => h.startsWith('outage')).length, (n) => n === 2 + MAX_RETRIES, { timeoutMs: 20_000, what: 'the outage to pass' });
    expect(handled.filter((h) => h.startsWith('outage'))).toEqual(Array(2 + MAX_RETRIES).fill('outage:0'));
    expect(handled).toContain('in-time:0');
    expect(handled.some((h) => h.startsWith('too-late'))).toBe(false);
    await until(async () => (await queueDepth(vhost.url, INVENTORY_ORDER_EVENTS_QUEUE)) === 0);
    expect(await queueDepth(vhost.url, `${INVENTORY_ORDER_EVENTS_QUEUE}.dlq`)).toBe(0);
  }, 30_000);

  it('rejects a consumer the broker refuses, as a bug, and stays connected', async () => {
    await expect(amqp.consume('no-such-queue', async () => undefined)).rejects.toThrow(/no queue 'no-such-queue'/);
    expect(amqp.isConnected()).toBe(true);
  });

  it('reports the connection state for readiness', () => {
    expect(amqp.isConnected()).toBe(true);
  });
});

describe('AmqpService limiting a consumer at run time', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let app: INestApplication;

  beforeAll(async () => {
    vhost = await createTestVhost();
    app = await start(vhost.url, 'amqp-spec-limit');
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.drop();
  });

  it('takes one message at a time while limited to 1, and up to its prefetch again once lifted', async () => {
    const amqp = app.get(AmqpService);
    // Every message is held until the test lets it go: how many are held at once is how many the broker handed over.
    const held: (() => void)[] = [];
    let running = 0;
    let most = 0;
    await amqp.consume(PAYMENT_REQUESTS_QUEUE, async () => {
      most = Math.max(most, ++running);
      await new Promise<void>((release) => held.push(release));
      running--;
    });
    const ready = () => queueDepth(vhost.url, PAYMENT_REQUESTS_QUEUE);
    const publishThree = () => Promise.all([1, 2, 3].map((n) => amqp.publish('', PAYMENT_REQUESTS_QUEUE, { n })));
    const state = (want: { ready: number; running: number }) =>
      waitFor(async () => ({ ready: await ready(), running }), (s) => s.ready === want.ready && s.running === want.running, { timeoutMs: 5_000, intervalMs: 20, what: JSON.stringify(want) });

    await amqp.limit(PAYMENT_REQUESTS_QUEUE, 1);
    await publishThree();
    // One handed over, two waiting in the queue; each next one only once the one before is acked.
    for (const waiting of [2, 1, 0]) {
      await state({ ready: waiting, running: 1 });
      held.shift()!();
    }
    await state({ ready: 0, running: 0 });
    expect(most).toBe(1);

    await amqp.limit(PAYMENT_REQUESTS_QUEUE, undefined);
    await publishThree();
    await state({ ready: 0, running: 3 }); // all three at once: the consumer's prefetch (10) again
    held.splice(0).forEach((release) => release());
    await state({ ready: 0, running: 0 });
  });
});

describe('AmqpService losing its connection', () => {
  const name = `amqp-spec-${newRunId()}`;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let app: INestApplication | undefined;
  let amqp: AmqpService;
  /** Every delivery the order-events consumer saw. */
  const received: { orderId: string; redelivered: boolean }[] = [];
  let releaseInFlight!: () => void;
  const inFlightReleased = new Promise<void>((resolve) => (releaseInFlight = resolve));
  const unhandled: unknown[] = [];
  const recordUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', recordUnhandled);
    vhost = await createTestVhost();
    app = await start(vhost.url, name);
    amqp = app.get(AmqpService);
    await amqp.consume<{ orderId: string }>(CART_ORDER_EVENTS_QUEUE, async ({ orderId }, msg) => {
      received.push({ orderId, redelivered: msg.fields.redelivered });
      // The first delivery of 'in-flight' is still being handled when the connection goes.
      if (orderId === 'in-flight' && !msg.fields.redelivered) await inFlightReleased;
    });
  });

  afterAll(async () => {
    process.off('unhandledRejection', recordUnhandled);
    await app?.close();
    await vhost?.drop();
  });

  const orderIds = async () => received.map((r) => r.orderId);

  it('goes unready at once, fails fast while down, and comes back with its topology and consumers', async () => {
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'in-flight' });
    await waitFor(orderIds, (ids) => ids.includes('in-flight'), { what: 'the in-flight delivery' });
    // Nobody consumes payment requests here: this one waits for its reply when the connection goes.
    const reply = amqp.request(PAYMENT_REQUESTS_QUEUE, { n: 1 }, 30_000).catch((e: unknown) => e);
    // Deleted behind the service's back: only declaring the topology again brings it back.
    await deleteQueue(vhost.url, INVENTORY_ORDER_EVENTS_QUEUE);

    await denyGuest(vhost.vhost);
    try {
      await closeConnection(vhost.vhost, name);
      expect(await reply).toBeInstanceOf(ReplyLostError);
      expect(amqp.isConnected()).toBe(false);
      await expect(amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'while-down' })).rejects.toBeInstanceOf(BrokerUnavailableError);
      await expect(amqp.request(PAYMENT_REQUESTS_QUEUE, { n: 2 }, 5_000)).rejects.toBeInstanceOf(BrokerUnavailableError);
      // Its handler finishes now and acks on a channel that is gone: caught, and redelivered later.
      releaseInFlight();
      expect(amqp.isConnected()).toBe(false);
    } finally {
      await allowGuest(vhost.vhost);
    }

    await waitFor(async () => amqp.isConnected(), Boolean, { timeoutMs: 30_000, what: 'the reconnect' });
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'after' });
    // The consumer registered before the loss is back: it gets the new message and the unacked one.
    await waitFor(orderIds, (ids) => ids.includes('after') && ids.filter((id) => id === 'in-flight').length === 2, { what: 'both deliveries' });
    expect(received).toEqual(
      expect.arrayContaining([
        { orderId: 'in-flight', redelivered: false },
        { orderId: 'in-flight', redelivered: true },
        { orderId: 'after', redelivered: false },
      ]),
    );
    expect(received.map((r) => r.orderId)).not.toContain('while-down');
    // The topology was declared again: the deleted queue exists, bound, with the new message in it.
    expect(await queueDepth(vhost.url, INVENTORY_ORDER_EVENTS_QUEUE)).toBe(1);
    expect(unhandled).toEqual([]);
  }, 90_000);

  it('starts over when a channel is closed under it; a publish the channel took down rejects', async () => {
    // Publishing to an exchange that does not exist makes the broker close the publisher channel.
    await expect(amqp.publish('no-such-exchange', 'nowhere', {})).rejects.toBeInstanceOf(PublishUnconfirmedError);
    expect(amqp.isConnected()).toBe(false);

    await waitFor(async () => amqp.isConnected(), Boolean, { timeoutMs: 30_000, what: 'the reconnect' });
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'after-channel' });
    await waitFor(orderIds, (ids) => ids.includes('after-channel'), { what: 'the delivery' });
    expect(unhandled).toEqual([]);
  }, 60_000);

  it('closes its connection on shutdown', async () => {
    expect(await connectionsOf(vhost.vhost, name)).toHaveLength(1);
    await app?.close();
    app = undefined;
    expect(amqp.isConnected()).toBe(false);
    await waitFor(() => connectionsOf(vhost.vhost, name), (pids) => pids.length === 0, { what: 'the connection to close' });
  });
});

describe('AmqpService started while the broker refuses it', () => {
  const name = `amqp-spec-${newRunId()}`;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    vhost = await createTestVhost();
    await denyGuest(vhost.vhost);
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.drop();
  });

  it('starts unready instead of crashing, keeps trying, and starts its consumers once connected', async () => {
    app = await start(vhost.url, name);
    const amqp = app.get(AmqpService);
    expect(amqp.isConnected()).toBe(false);
    await expect(amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'too-early' })).rejects.toBeInstanceOf(BrokerUnavailableError);
    const received: string[] = [];
    // As a consumer's onApplicationBootstrap does: registered now, started once connected.
    await amqp.consume<{ orderId: string }>(CART_ORDER_EVENTS_QUEUE, async ({ orderId }) => void received.push(orderId));

    await allowGuest(vhost.vhost);
    await waitFor(async () => amqp.isConnected(), Boolean, { timeoutMs: 30_000, what: 'the first connection' });
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'o-1' });
    await waitFor(async () => received, (ids) => ids.includes('o-1'), { what: 'the delivery' });
    expect(received).toEqual(['o-1']);
  }, 60_000);
});
