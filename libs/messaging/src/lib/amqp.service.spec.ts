import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { CART_ORDER_EVENTS_QUEUE, INVENTORY_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDERS_EXCHANGE, PAYMENT_REQUESTS_QUEUE } from '@traceshop/contracts';
import { createTestVhost } from '@traceshop/testing';
import { connect } from 'amqplib';
import { AmqpService, MAX_RETRIES, ReplyTimeoutError, RETRY_COUNT } from './amqp.service';

// Against the real RabbitMQ, in a vhost of its own.
describe('AmqpService', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let amqp: AmqpService;
  let close: () => Promise<void>;

  beforeAll(async () => {
    vhost = await createTestVhost();
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ AMQP_URL: vhost.url })] })],
      providers: [AmqpService],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    amqp = app.get(AmqpService);
    close = () => app.close();
  });

  afterAll(async () => {
    await close?.();
    await vhost?.drop();
  });

  /** Messages waiting in a queue, read through a channel of our own. */
  async function depth(queue: string) {
    const conn = await connect(vhost.url);
    const ch = await conn.createChannel();
    const { messageCount } = await ch.checkQueue(queue);
    await conn.close();
    return messageCount;
  }

  async function until(check: () => Promise<boolean>, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setImmediate(r));
    }
  }

  it('declares the topology and routes order events to both consumers', async () => {
    await amqp.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'o-1' });
    await until(async () => (await depth(CART_ORDER_EVENTS_QUEUE)) === 1 && (await depth(INVENTORY_ORDER_EVENTS_QUEUE)) === 1);
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

    await expect(amqp.request(PAYMENT_REQUESTS_QUEUE, { n: -1 }, 300)).rejects.toBeInstanceOf(ReplyTimeoutError);
    await until(async () => (await depth(`${PAYMENT_REQUESTS_QUEUE}.dlq`)) === 1);
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
    await until(async () => (await depth(dlq)) === 1 && tries.filter((t) => t.orderId === 'flaky').length === 2 && (await depth(CART_ORDER_EVENTS_QUEUE)) === 0);

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

  it('reports the connection state for readiness', () => {
    expect(amqp.isConnected()).toBe(true);
  });
});
