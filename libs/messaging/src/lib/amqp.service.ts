import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { Channel, ConfirmChannel, connect, ConsumeMessage } from 'amqplib';
import { assertTopology } from './topology';

const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** How often `consume` tries a failing message again before it is dead-lettered. */
export const MAX_RETRIES = 2;
/** The header counting the tries of a message after its first. */
export const RETRY_COUNT = 'x-retry-count';
const FIRST_EXCHANGE = 'x-first-exchange';
const FIRST_ROUTING_KEY = 'x-first-routing-key';

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
   * Consumes JSON messages with manual acks. A message whose handler throws is tried again, at
   * most `MAX_RETRIES` times: republished to the back of its queue with `x-retry-count` one
   * higher, and acked only once the broker has confirmed the copy. After the last try it is
   * rejected without requeue and so goes to the queue's dead-letter queue: nothing is lost,
   * nothing loops. Each try is its own `process` span with the exception recorded, and the retry
   * is published from inside the failed one, so all tries stay in the message's trace.
   * When the handler returns a value and the message asked for a reply, the value is the reply.
   */
  async consume<T>(queue: string, handler: (body: T, msg: ConsumeMessage) => Promise<unknown>, prefetch = 10): Promise<void> {
    const channel = await this.connection!.createChannel();
    await channel.prefetch(prefetch);
    await channel.consume(queue, async (msg) => {
      if (!msg) return;
      const headers = msg.properties.headers ?? {};
      const retries = Number(headers[RETRY_COUNT] ?? 0);
      trace.getActiveSpan()?.setAttribute('traceshop.messaging.retry_count', retries);
      try {
        const result = await handler(JSON.parse(msg.content.toString()) as T, asFirstDelivered(msg));
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
        if (retries < MAX_RETRIES) {
          this.logger.warn(`${queue}: message failed (try ${retries + 1} of ${1 + MAX_RETRIES}), retrying: ${error.message}`);
          if (await this.retry(queue, msg, retries + 1)) return channel.ack(msg);
        }
        this.logger.error(`${queue}: message dead-lettered: ${error.message}`);
        channel.nack(msg, false, false);
      }
    });
  }

  /**
   * Puts a copy of `msg` at the back of `queue` (through the default exchange) with its retry
   * count; where it first came from travels in headers, so the handler sees the same routing key.
   * Resolves false when the broker did not take the copy: the caller dead-letters the original.
   * (Should the ack of the original then be lost, it comes back too: at least once, as always.)
   */
  private async retry(queue: string, msg: ConsumeMessage, count: number): Promise<boolean> {
    const { headers = {}, ...properties } = msg.properties;
    const first = count === 1 ? { [FIRST_EXCHANGE]: msg.fields.exchange, [FIRST_ROUTING_KEY]: msg.fields.routingKey } : {};
    return new Promise((resolve) => {
      try {
        this.publisher.publish('', queue, msg.content, {
          ...withoutUndefined(properties),
          persistent: true,
          headers: { ...headers, ...first, [RETRY_COUNT]: count },
        }, (err) => resolve(!err));
      } catch {
        resolve(false); // the channel is closed
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

/** A retried message as the handler first saw it: the exchange and routing key it was published to. */
function asFirstDelivered(msg: ConsumeMessage): ConsumeMessage {
  const headers = msg.properties.headers ?? {};
  if (headers[FIRST_ROUTING_KEY] === undefined) return msg;
  return { ...msg, fields: { ...msg.fields, exchange: String(headers[FIRST_EXCHANGE]), routingKey: String(headers[FIRST_ROUTING_KEY]) } };
}

/** amqplib fills every property of a delivered message, absent ones as undefined; publish wants them left out. */
function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
