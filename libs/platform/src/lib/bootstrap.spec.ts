import { Controller, INestApplication, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { CART_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDERS_EXCHANGE, PAYMENT_REQUESTS_QUEUE } from '@traceshop/contracts';
import { AmqpService, MAX_RETRIES, MessagingModule } from '@traceshop/messaging';
import { createTestVhost, queueDepth, waitFor } from '@traceshop/testing';
import { IsInt } from 'class-validator';
import { createApp } from './bootstrap';
import { LoggingModule } from './logging.module';

class DoubleDto {
  @IsInt()
  n!: number;
}

const calls: string[] = [];
let outages = 0;

@Controller()
class Handlers {
  @MessagePattern(PAYMENT_REQUESTS_QUEUE)
  double(@Payload() { n }: DoubleDto) {
    calls.push(`double ${n}`);
    return { doubled: n * 2 };
  }

  @EventPattern(CART_ORDER_EVENTS_QUEUE)
  record(@Payload() { orderId }: { orderId: string }) {
    calls.push(`record ${orderId}`);
    // As pg reports Postgres restarting, more times than a message has tries.
    if (outages++ <= MAX_RETRIES) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  }
}

// createApp makes an app with MessagingModule a hybrid app: its message handlers run on the
// AmqpTransport with the app's ValidationPipe and error filter. Real RabbitMQ, a vhost of its own.
describe('createApp with message handlers', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let app: INestApplication;

  beforeAll(async () => {
    vhost = await createTestVhost();
    @Module({
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ AMQP_URL: vhost.url, LOG_LEVEL: 'silent' })] }), LoggingModule, MessagingModule],
      controllers: [Handlers],
    })
    class HybridModule {}
    app = await createApp(HybridModule);
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.drop();
  });

  it('validates a payload like an HTTP body: a refused one never reaches the handler and ends in the dead-letter queue', async () => {
    const amqp = app.get(AmqpService);
    await expect(amqp.request(PAYMENT_REQUESTS_QUEUE, { n: 21 }, 5_000)).resolves.toEqual({ doubled: 42 });
    await expect(amqp.request(PAYMENT_REQUESTS_QUEUE, { n: 'twenty', extra: true }, 1_000)).rejects.toThrow('no reply');
    await waitFor(() => queueDepth(vhost.url, `${PAYMENT_REQUESTS_QUEUE}.dlq`), (n) => n === 1, { what: 'the refused request dead-lettered' });
    expect(calls.filter((c) => c.startsWith('double'))).toEqual(['double 21']);
  });

  it("hands a handler's exception to the transport as it is, so an outage is waited out instead of dead-lettered", async () => {
    await app.get(AmqpService).publish(ORDERS_EXCHANGE, ORDER_CONFIRMED, { orderId: 'o-1' });
    // 1 s, 2 s, 4 s of outage waits, then the fourth delivery goes through.
    await waitFor(async () => calls.filter((c) => c === 'record o-1').length, (n) => n === 2 + MAX_RETRIES, { timeoutMs: 20_000, what: 'the outage to pass' });
    await waitFor(() => queueDepth(vhost.url, CART_ORDER_EVENTS_QUEUE), (n) => n === 0, { what: 'the event settled' });
    expect(await queueDepth(vhost.url, `${CART_ORDER_EVENTS_QUEUE}.dlq`)).toBe(0);
  }, 30_000);
});
