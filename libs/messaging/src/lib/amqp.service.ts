import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { Channel, ConfirmChannel, connect, ConsumeMessage } from 'amqplib';
import { assertTopology } from './topology';

const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** Thrown by `request` when no reply came in time. */
export class ReplyTimeoutError extends Error {}

type Pending = { resolve: (body: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * One RabbitMQ connection per service, opened at start-up (never lazily: a client that buffers
 * messages until it connects sends them later from another request's context and merges traces).
 * Trace context travels in message headers; the amqplib instrumentation injects and extracts it.
 */
@Injectable()
export class AmqpService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AmqpService.name);
  private connection?: Awaited<ReturnType<typeof connect>>;
  private publisher!: ConfirmChannel;
  private rpc!: Channel;
  private readonly pending = new Map<string, Pending>();
  private connected = false;

  constructor(private readonly config: ConfigService) {}

  async onModuleInit(): Promise<void> {
    this.connection = await connect(this.config.getOrThrow<string>('AMQP_URL'));
    this.connected = true;
    this.connection.on('close', () => (this.connected = false));
    this.connection.on('error', (e: Error) => this.logger.error(`connection error: ${e.message}`));
    this.publisher = await this.connection.createConfirmChannel();
    await assertTopology(this.publisher);
    // Replies come back on RabbitMQ's direct reply-to pseudo-queue of this channel.
    this.rpc = await this.connection.createChannel();
    await this.rpc.consume(DIRECT_REPLY_TO, (msg) => msg && this.settle(msg), { noAck: true });
  }

  async onApplicationShutdown(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    await this.connection?.close().catch(() => undefined);
  }

  /** True while the connection is open (readiness). */
  isConnected(): boolean {
    return this.connected;
  }

  /** Publishes a persistent JSON message and waits until the broker has taken responsibility. */
  publish(exchange: string, routingKey: string, body: unknown, messageId?: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.publisher.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), {
        persistent: true,
        contentType: 'application/json',
        messageId,
      }, (err) => (err ? reject(err) : resolve())),
    );
  }

  /**
   * Request/reply: sends to `queue` and resolves with the reply. The request expires with the
   * timeout, so a request nobody picked up in time is never processed later.
   */
  request<T>(queue: string, body: unknown, timeoutMs: number): Promise<T> {
    const correlationId = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new ReplyTimeoutError(`no reply from ${queue} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve: resolve as (b: unknown) => void, reject, timer });
      this.rpc.sendToQueue(queue, Buffer.from(JSON.stringify(body)), {
        replyTo: DIRECT_REPLY_TO,
        correlationId,
        contentType: 'application/json',
        expiration: String(timeoutMs),
      });
    });
  }

  /**
   * Consumes JSON messages with manual acks. A message whose handler throws is rejected without
   * requeue and so goes to the queue's dead-letter queue: nothing is lost, nothing loops.
   * When the handler returns a value and the message asked for a reply, the value is the reply.
   */
  async consume<T>(queue: string, handler: (body: T, msg: ConsumeMessage) => Promise<unknown>, prefetch = 10): Promise<void> {
    const channel = await this.connection!.createChannel();
    await channel.prefetch(prefetch);
    await channel.consume(queue, async (msg) => {
      if (!msg) return;
      try {
        const result = await handler(JSON.parse(msg.content.toString()) as T, msg);
        if (msg.properties.replyTo) {
          channel.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify(result)), {
            correlationId: msg.properties.correlationId,
            contentType: 'application/json',
          });
        }
        channel.ack(msg);
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        const span = trace.getActiveSpan(); // the consumer's "process" span
        span?.recordException(error);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        this.logger.error(`${queue}: message dead-lettered: ${error.message}`);
        channel.nack(msg, false, false);
      }
    });
  }

  private settle(msg: ConsumeMessage) {
    const pending = this.pending.get(msg.properties.correlationId);
    if (!pending) return; // a late reply after a timeout
    this.pending.delete(msg.properties.correlationId);
    clearTimeout(pending.timer);
    try {
      pending.resolve(JSON.parse(msg.content.toString()));
    } catch (e) {
      pending.reject(e as Error);
    }
  }
}
