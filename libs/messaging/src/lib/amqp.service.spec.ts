import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { CART_ORDER_EVENTS_QUEUE, INVENTORY_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDERS_EXCHANGE, PAYMENT_REQUESTS_QUEUE } from '@traceshop/contracts';
import { createTestVhost } from '@traceshop/testing';
import { connect } from 'amqplib';
import { AmqpService, ReplyTimeoutError } from './amqp.service';

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

  it('reports the connection state for readiness', () => {
    expect(amqp.isConnected()).toBe(true);
  });
});
