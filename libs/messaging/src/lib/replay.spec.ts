import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { CART_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDERS_EXCHANGE } from '@traceshop/contracts';
import { createTestVhost, queueDepth, waitFor } from '@traceshop/testing';
import { connect, type ConsumeMessage } from 'amqplib';
import { AmqpService, MAX_RETRIES, RETRY_COUNT } from './amqp.service';
import { REPLAY_COUNT, replayDeadLetters } from './replay';

// Against the real RabbitMQ, in a vhost of its own: a consumer that fails dead-letters an order
// event; once it is fixed, the replay brings the event back and it is processed.
describe('replayDeadLetters', () => {
  const DLQ = `${CART_ORDER_EVENTS_QUEUE}.dlq`;
  const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let close: () => Promise<void>;
  /** While true, the consumer throws (a bug: tried again, then dead-lettered). */
  let broken = true;
  const processed: { body: unknown; msg: ConsumeMessage }[] = [];
  const depth = (queue: string, n: number) => waitFor(() => queueDepth(vhost.url, queue), (d) => d === n, { timeoutMs: 10_000, what: `${queue} at ${n}` });

  /** An order event as the gateway publishes it: to the exchange, with its trace context. */
  async function publishEvent(orderId: string) {
    const connection = await connect(vhost.url);
    const channel = await connection.createConfirmChannel();
    channel.publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, Buffer.from(JSON.stringify({ orderId })), { persistent: true, messageId: orderId, headers: { traceparent: TRACEPARENT } });
    await channel.waitForConfirms();
    await connection.close();
  }

  beforeAll(async () => {
    vhost = await createTestVhost();
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ AMQP_URL: vhost.url, OTEL_SERVICE_NAME: 'replay-spec' })] })],
      providers: [AmqpService],
    }).compile();
    const app = await moduleRef.createNestApplication().init();
    close = () => app.close();
    await app.get(AmqpService).consume(CART_ORDER_EVENTS_QUEUE, async (body, msg) => {
      if (broken) throw new Error('cannot record the order');
      processed.push({ body, msg });
    });
  });

  afterAll(async () => {
    await close?.();
    await vhost?.drop();
  });

  it('moves a dead letter back to its queue, with fresh tries, its routing key and its trace context', async () => {
    await publishEvent('order-1');
    await depth(DLQ, 1); // after 1 + MAX_RETRIES tries
    broken = false; // the consumer is fixed

    expect(await replayDeadLetters(vhost.url, CART_ORDER_EVENTS_QUEUE)).toBe(1);
    await waitFor(async () => processed.length, (n) => n === 1, { what: 'the replayed event processed' });
    const [{ body, msg }] = processed;
    expect(body).toEqual({ orderId: 'order-1' });
    expect(msg.fields.routingKey).toBe(ORDER_CONFIRMED); // as first published, for the handler
    expect(msg.properties.messageId).toBe('order-1');
    const headers = msg.properties.headers ?? {};
    expect(headers).toMatchObject({ traceparent: TRACEPARENT, [REPLAY_COUNT]: 1 });
    expect(headers[RETRY_COUNT]).toBeUndefined(); // its first try again
    expect(headers['x-death']).toBeUndefined();
    await depth(DLQ, 0);
  });

  it('moves only what was there when it started: a message that fails again waits in the DLQ, once', async () => {
    broken = true;
    await publishEvent('order-2');
    await publishEvent('order-3');
    await depth(DLQ, 2);
    // Still broken: both come back, are tried 1 + MAX_RETRIES times, and are dead-lettered again.
    expect(await replayDeadLetters(vhost.url, CART_ORDER_EVENTS_QUEUE)).toBe(2);
    await depth(DLQ, 2);
    const connection = await connect(vhost.url);
    const channel = await connection.createChannel();
    const again = await channel.get(DLQ, { noAck: false });
    expect(again && again.properties.headers?.[REPLAY_COUNT]).toBe(1);
    expect(again && again.properties.headers?.[RETRY_COUNT]).toBe(MAX_RETRIES);
    await connection.close(); // unacked: back in the DLQ
    broken = false;
    expect(await replayDeadLetters(vhost.url, CART_ORDER_EVENTS_QUEUE)).toBe(2);
    await depth(DLQ, 0);
    await waitFor(async () => processed.length, (n) => n === 3, { what: 'both replayed events processed' });
  });

  it('refuses a queue that has no dead-letter queue', async () => {
    await expect(replayDeadLetters(vhost.url, 'orders')).rejects.toThrow(/not a work queue/);
  });
});
