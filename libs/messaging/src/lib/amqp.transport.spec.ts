import { Controller, INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Ctx, EventPattern, MessagePattern, MicroserviceOptions, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { CART_ORDER_EVENTS_QUEUE, ORDER_CONFIRMED, ORDERS_EXCHANGE, PAYMENT_REQUESTS_QUEUE } from '@traceshop/contracts';
import { createTestVhost, queueDepth, waitFor } from '@traceshop/testing';
import { lastValueFrom } from 'rxjs';
import { AmqpClient, AmqpRecord } from './amqp.client';
import { BrokerUnavailableError } from './amqp.errors';
import { AmqpService, MAX_RETRIES } from './amqp.service';
import { AmqpContext, AmqpTransport } from './amqp.transport';

const seen: { orderId: string; routingKey: string; tries: number; messageId?: string }[] = [];

/** Handlers the Nest way, on the AmqpTransport. */
@Controller()
class Handlers {
  @MessagePattern(PAYMENT_REQUESTS_QUEUE)
  double(@Payload() { n }: { n: number }) {
    return { doubled: n * 2 };
  }

  @EventPattern(CART_ORDER_EVENTS_QUEUE)
  record(@Payload() { orderId }: { orderId: string }, @Ctx() ctx: AmqpContext) {
    seen.push({ orderId, routingKey: ctx.getRoutingKey(), tries: ctx.getRetryCount(), messageId: ctx.getMessage().properties.messageId });
    if (orderId === 'poison') throw new Error('cannot record it');
  }
}

// A hybrid Nest app against the real RabbitMQ (a vhost of its own): handlers as @MessagePattern /
// @EventPattern methods, senders as ClientProxies, all over the one AmqpService connection.
describe('AmqpTransport and AmqpClient', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let app: INestApplication;
  let amqp: AmqpService;
  let payments: AmqpClient;
  let events: AmqpClient;

  beforeAll(async () => {
    vhost = await createTestVhost();
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ AMQP_URL: vhost.url, OTEL_SERVICE_NAME: 'transport-spec' })] })],
      controllers: [Handlers],
      providers: [AmqpService],
    }).compile();
    app = moduleRef.createNestApplication();
    amqp = app.get(AmqpService);
    app.connectMicroservice<MicroserviceOptions>({ strategy: new AmqpTransport(amqp) });
    await app.init();
    await app.startAllMicroservices();
    payments = new AmqpClient(amqp, { timeoutMs: 5_000 });
    events = new AmqpClient(amqp, { exchange: ORDERS_EXCHANGE });
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.drop();
  });

  it('answers a ClientProxy request from a @MessagePattern handler', async () => {
    await expect(lastValueFrom(payments.send(PAYMENT_REQUESTS_QUEUE, { n: 21 }))).resolves.toEqual({ doubled: 42 });
  });

  it('delivers an emitted event to an @EventPattern handler once the broker confirmed it, with its message id and routing key', async () => {
    await lastValueFrom(events.emit(ORDER_CONFIRMED, new AmqpRecord({ orderId: 'o-1' }, { messageId: 'o-1' })), { defaultValue: undefined });
    const [event] = await waitFor(async () => seen.filter((s) => s.orderId === 'o-1'), (s) => s.length === 1, { what: 'the event' });
    expect(event).toEqual({ orderId: 'o-1', routingKey: ORDER_CONFIRMED, tries: 0, messageId: 'o-1' });
  });

  it("does not swallow an event handler's failure, as Nest's own event dispatch does: tries, then the dead-letter queue", async () => {
    events.emit(ORDER_CONFIRMED, { orderId: 'poison' });
    await waitFor(() => queueDepth(vhost.url, `${CART_ORDER_EVENTS_QUEUE}.dlq`), (n) => n === 1, { what: 'the dead letter' });
    expect(seen.filter((s) => s.orderId === 'poison').map((s) => s.tries)).toEqual(Array.from({ length: 1 + MAX_RETRIES }, (_, i) => i));
  });

  it('fails fast through the ClientProxy while disconnected: nothing sent, nothing buffered', async () => {
    // A second service's connection, closed: disconnected for good (no broker needs to go down).
    const other = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ AMQP_URL: vhost.url, OTEL_SERVICE_NAME: 'transport-spec-closed' })] })],
      providers: [AmqpService],
    }).compile();
    const closed = other.createNestApplication();
    await closed.init();
    await closed.close();
    const down = new AmqpClient(closed.get(AmqpService), { exchange: ORDERS_EXCHANGE, timeoutMs: 1_000 });
    await expect(lastValueFrom(down.send(PAYMENT_REQUESTS_QUEUE, { n: 1 }))).rejects.toBeInstanceOf(BrokerUnavailableError);
    await expect(lastValueFrom(down.emit(ORDER_CONFIRMED, { orderId: 'never' }))).rejects.toBeInstanceOf(BrokerUnavailableError);
  });
});
