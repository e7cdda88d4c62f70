import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Channel, ChannelModel, ConfirmChannel, connect, ConsumeMessage } from 'amqplib';
import { MAX_RETRIES } from '@traceshop/contracts';
import { BrokerUnavailableError, PublishUnconfirmedError, ReplyLostError, ReplyTimeoutError } from './amqp.errors';
import { assertTopology } from './topology';
import { isTransient } from './transient';

const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** How often `consume` tries a failing message again before it is dead-lettered (a contract: the system tests count the tries). */
export { MAX_RETRIES };
/** The header counting the tries of a message after its first. */
export const RETRY_COUNT = 'x-retry-count';
export const FIRST_EXCHANGE = 'x-first-exchange';
export const FIRST_ROUTING_KEY = 'x-first-routing-key';
/** When a request stops being worth answering (ms since the epoch): its sender no longer waits. */
export const DEADLINE = 'x-deadline';
/** How many times a message met an outage of a dependency (transient: not counted as a try). */
const OUTAGE_COUNT = 'x-outage-count';
// A message that met an outage waits before it goes back to the queue: 1 s, doubling, at most
// 10 s, for as long as the outage lasts.
const OUTAGE_DELAY_MS = 1_000;
const OUTAGE_DELAY_CAP_MS = 10_000;

// Reconnecting: full-jitter backoff (a random wait up to 200 ms, doubling per attempt, capped at
// 5 s), so services that lost the broker together do not all come back at the same instant.
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
/** One connection attempt gives up after this long (a host that drops packets never refuses). */
const CONNECT_TIMEOUT_MS = 10_000;

type Handler<T> = (body: T, msg: ConsumeMessage) => Promise<unknown>;
type Pending = { resolve: (body: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** A `consume` call kept as data, so that every new connection applies it again. */
interface Registration {
  queue: string;
  handler: Handler<unknown>;
  prefetch: number;
  /** A lower limit set at run time (`limit`), on top of `prefetch`; undefined: none. */
  limit?: number;
}

/** One connection and the channels on it; when any of it is lost, all of it is replaced. */
class Link {
  lost = false;
  /** Why the broker or the network closed the connection, once it did. */
  closeReason?: string;
  publisher!: ConfirmChannel;
  rpc!: Channel;
  /** Each consumer's channel on this connection (one consumer per channel). */
  readonly consumerChannels = new Map<Registration, Channel>();
  constructor(readonly connection: ChannelModel) {}
}

/**
 * One RabbitMQ connection per service, opened at start-up (never lazily: a client that buffers
 * messages until it connects sends them later from another request's context and merges traces).
 * Trace context travels in message headers; the amqplib instrumentation injects and extracts it.
 *
 * The connection comes back by itself: when it (or any channel on it) is lost, the service turns
 * unready, fails every pending request with `ReplyLostError`, and reconnects in the background,
 * declaring the topology and every registered consumer again before it reports ready. While it is
 * down, `publish` and `request` fail at once with `BrokerUnavailableError`: nothing is queued.
 */
@Injectable()
export class AmqpService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AmqpService.name);
  /** Set while connected, with everything declared on it. */
  private link?: Link;
  private readonly consumers: Registration[] = [];
  private readonly pending = new Map<string, Pending>();
  /** The reconnect loop, while it runs. */
  private reconnecting?: Promise<void>;
  private readonly stopping = new AbortController();

  constructor(private readonly config: ConfigService) {}

  async onModuleInit(): Promise<void> {
    try {
      await this.open();
    } catch (e) {
      // Not a crash: the service starts unready and comes up when the broker does.
      this.logger.warn(`RabbitMQ is unreachable at start-up (${(e as Error).message}); retrying in the background`);
      this.reconnect();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.reconnecting; // wakes from its backoff and ends
    const link = this.link;
    this.link = undefined;
    this.failPending('the service is shutting down');
    await link?.connection.close().catch(() => undefined);
  }

  /** True while connected, with topology, replies and consumers in place (readiness). */
  isConnected(): boolean {
    return this.link !== undefined;
  }

  /**
   * Publishes a persistent JSON message and waits until the broker has taken responsibility.
   * Rejects at once with `BrokerUnavailableError` (nothing sent) while disconnected, and with
   * `PublishUnconfirmedError` (outcome unknown) when the channel dies before the confirm.
   */
  async publish(exchange: string, routingKey: string, body: unknown, messageId?: string): Promise<void> {
    const link = this.link;
    if (!link) throw new BrokerUnavailableError();
    const content = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      try {
        link.publisher.publish(exchange, routingKey, content, {
          persistent: true,
          contentType: 'application/json',
          messageId,
        }, (err) => (err ? reject(new PublishUnconfirmedError(`${exchange} ${routingKey}: ${err.message}`)) : resolve()));
      } catch {
        reject(new BrokerUnavailableError()); // the channel closed just before: nothing was sent
      }
    });
  }

  /**
   * Request/reply: sends to `queue` and resolves with the reply. The request carries its deadline
   * (`x-deadline`): a consumer that takes it later drops it unprocessed, since nobody waits for
   * the answer any more. (A deadline header, not RabbitMQ's per-message expiration: an expired
   * message would be dead-lettered, and a pile of requests nobody waits for is no finding; the
   * sender settles such an outcome itself.) Rejects at once with
   * `BrokerUnavailableError` (nothing sent) while disconnected, with `ReplyTimeoutError` when no
   * reply came in time and with `ReplyLostError` when the connection went first.
   */
  async request<T>(queue: string, body: unknown, timeoutMs: number): Promise<T> {
    const link = this.link;
    if (!link) throw new BrokerUnavailableError();
    const content = Buffer.from(JSON.stringify(body));
    const correlationId = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new ReplyTimeoutError(`no reply from ${queue} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve: resolve as (b: unknown) => void, reject, timer });
      try {
        link.rpc.sendToQueue(queue, content, {
          replyTo: DIRECT_REPLY_TO,
          correlationId,
          contentType: 'application/json',
          headers: { [DEADLINE]: Date.now() + timeoutMs },
        });
      } catch {
        clearTimeout(timer);
        this.pending.delete(correlationId);
        reject(new BrokerUnavailableError()); // the channel closed just before: nothing was sent
      }
    });
  }

  /**
   * Consumes JSON messages with manual acks. A message whose handler throws is tried again, at
   * most `MAX_RETRIES` times: republished to the back of its queue with `x-retry-count` one
   * higher, and acked only once the broker has confirmed the copy. After the last try it is
   * rejected without requeue and so goes to the queue's dead-letter queue: nothing is lost,
   * nothing loops. Each try is its own `process` span with the exception recorded, and the retry
   * is published from inside the failed one, so all tries stay in the message's trace.
   * A failure that is an outage of a dependency (Postgres or Redis restarting: `isTransient`) is
   * not a try: the message waits (1 s, doubling to 10 s) and goes back to the queue as often as
   * the outage lasts, so it is never dead-lettered for it.
   * A request past its `x-deadline` is acked unprocessed (nobody waits for its reply).
   * When the handler returns a value and the message asked for a reply, the value is the reply.
   *
   * The consumer is kept and started again on every new connection; called while disconnected,
   * it starts once connected. A message in flight when the connection goes is redelivered by the
   * broker, so handlers must be idempotent.
   */
  async consume<T>(queue: string, handler: Handler<T>, prefetch = 10): Promise<void> {
    const registration: Registration = { queue, handler: handler as Handler<unknown>, prefetch };
    this.consumers.push(registration);
    const link = this.link;
    if (!link) return; // started by open() once connected
    try {
      await this.startConsumer(link, registration);
    } catch (e) {
      if (this.link !== link) return; // the connection went meanwhile: the next one starts it
      // The broker refused it on a healthy connection (no such queue): a bug, not an outage.
      this.consumers.splice(this.consumers.indexOf(registration), 1);
      throw e;
    }
  }

  /**
   * Lowers how many messages of `queue` this service works on at once below the prefetch its
   * consumer started with (`count`), or lifts that limit again (undefined), from the next delivery
   * on, without restarting the consumer: a channel-wide `basic.qos` on top of the consumer's own
   * (one consumer per channel, so the two count the same messages). Kept across reconnects. Acks,
   * tries and dead-lettering are unchanged; only how many unacked messages the broker hands over.
   */
  async limit(queue: string, count: number | undefined): Promise<void> {
    for (const registration of this.consumers.filter((r) => r.queue === queue && r.limit !== count)) {
      registration.limit = count;
      // A channel lost meanwhile is no error: the next connection starts the consumer with the limit.
      await this.link?.consumerChannels.get(registration)?.prefetch(count ?? 0, true).catch(() => undefined);
    }
  }

  /**
   * Opens a connection and declares everything on it: the topology, the publisher, the reply
   * consumer and every registered consumer. Only then does the service count as connected.
   */
  private async open(): Promise<void> {
    const link = new Link(await connect(this.config.getOrThrow<string>('AMQP_URL'), {
      timeout: CONNECT_TIMEOUT_MS,
      // The name the management UI and `rabbitmqctl list_connections` show.
      clientProperties: { connection_name: this.config.get<string>('OTEL_SERVICE_NAME') ?? 'traceshop' },
    }));
    const { connection } = link;
    // An 'error' event without a listener would crash the process; 'close' follows it anyway.
    connection.on('error', (e: Error) => this.logger.debug(`RabbitMQ connection error: ${e.message}`));
    connection.on('close', (e?: Error) => {
      link.closeReason = e?.message ?? 'connection closed';
      this.lost(link, link.closeReason);
    });
    try {
      link.publisher = this.watch(link, await connection.createConfirmChannel(), 'publisher');
      await assertTopology(link.publisher);
      // Replies come back on RabbitMQ's direct reply-to pseudo-queue of this channel.
      link.rpc = this.watch(link, await connection.createChannel(), 'reply');
      await link.rpc.consume(DIRECT_REPLY_TO, (msg) => (msg ? this.settle(msg) : this.lost(link, 'reply consumer cancelled')), { noAck: true });
      // By index, not a copy: a consume() called while this runs is pushed here and started too.
      for (let i = 0; i < this.consumers.length; i++) await this.startConsumer(link, this.consumers[i]);
      if (link.lost) throw new Error('connection lost while opening');
      if (this.stopping.signal.aborted) throw new Error('shutting down');
    } catch (e) {
      closeQuietly(connection);
      throw e;
    }
    this.link = link;
  }

  /** Treats the channel's closing as the loss of its connection, which starts over with all of it. */
  private watch<C extends Channel>(link: Link, channel: C, name: string): C {
    this.logErrors(channel, name);
    channel.on('close', () => this.lost(link, `${name} channel closed`));
    return channel;
  }

  /** An 'error' event without a listener would crash the process; 'close' follows it anyway. */
  private logErrors(channel: Channel, name: string): void {
    channel.on('error', (e: Error) => this.logger.debug(`RabbitMQ ${name} channel error: ${e.message}`));
  }

  /**
   * The connection or one of its channels is gone: unready at once, every pending request fails
   * (its outcome is unknown), and the reconnect loop starts. Called once per link, by whichever
   * close event comes first; later ones, and those of our own shutdown, are ignored.
   */
  private lost(link: Link, reason: string): void {
    if (link.lost || this.stopping.signal.aborted) return;
    link.lost = true;
    const wasConnected = this.link === link; // else still opening: open() fails, the loop tries again
    if (wasConnected) {
      this.link = undefined;
      this.failPending('the RabbitMQ connection was lost before the reply came');
      this.reconnect();
    }
    // amqplib closes the channels before it reports the connection closed, and we may be called
    // from inside that. Once it is done, the connection's own reason is known, and closing the
    // connection (needed when only a channel closed under us) no longer interferes.
    setImmediate(() => {
      if (wasConnected) this.logger.warn(`RabbitMQ connection lost (${link.closeReason ?? reason}); reconnecting`);
      closeQuietly(link.connection);
    });
  }

  /** Starts the reconnect loop, unless it runs already. */
  private reconnect(): void {
    this.reconnecting ??= this.reconnectLoop();
  }

  /** Tries to open a new connection with capped, jittered backoff until it succeeds or we stop. */
  private async reconnectLoop(): Promise<void> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      const delay = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
      await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (this.stopping.signal.aborted) break;
      try {
        await this.open();
        this.logger.log(`RabbitMQ connection restored (attempt ${attempt})`);
        break;
      } catch (e) {
        this.logger.debug(`RabbitMQ reconnect attempt ${attempt} failed: ${(e as Error).message}`);
      }
    }
    // Only promise callbacks ran since open() set the link (no I/O events), so no loss went unseen.
    this.reconnecting = undefined;
  }

  private failPending(reason: string): void {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new ReplyLostError(reason));
    }
    this.pending.clear();
  }

  private async startConsumer(link: Link, registration: Registration): Promise<void> {
    const { queue, handler, prefetch, limit } = registration;
    const channel = await link.connection.createChannel();
    this.logErrors(channel, `${queue} consumer`);
    await channel.prefetch(prefetch);
    if (limit !== undefined) await channel.prefetch(limit, true);
    link.consumerChannels.set(registration, channel);
    await channel.consume(queue, (msg) => {
      // No message means the broker cancelled the consumer (its queue was deleted): starting over
      // declares the queue again.
      if (!msg) return this.lost(link, `consumer of ${queue} cancelled by the broker`);
      void this.deliver(link, channel, queue, handler, msg);
    });
    // Watched only once consuming: a consume the broker refuses closes its channel too, and that
    // is the caller's error, not a lost connection.
    channel.on('close', () => this.lost(link, `${queue} consumer channel closed`));
  }

  /** Runs the handler on one message and settles it. Never rejects: amqplib ignores the promise. */
  private async deliver(link: Link, channel: Channel, queue: string, handler: Handler<unknown>, msg: ConsumeMessage): Promise<void> {
    try {
      await this.handle(link, channel, queue, handler, msg);
    } catch (e) {
      // The channel died under the message (IllegalOperationError on ack/nack/reply): the broker
      // redelivers it on the next connection, and consumers are idempotent.
      this.logger.warn(`${queue}: message left unsettled, the broker will redeliver it: ${(e as Error).message}`);
    }
  }

  private async handle(link: Link, channel: Channel, queue: string, handler: Handler<unknown>, msg: ConsumeMessage): Promise<void> {
    const headers = msg.properties.headers ?? {};
    const retries = Number(headers[RETRY_COUNT] ?? 0);
    const span = trace.getActiveSpan(); // the consumer's "process" span
    nameProcessSpan(queue, asFirstDelivered(msg));
    span?.setAttribute('traceshop.messaging.retry_count', retries);
    if (headers[DEADLINE] !== undefined && Date.now() > Number(headers[DEADLINE])) {
      span?.addEvent('dropped: past its deadline, nobody waits for the reply');
      this.logger.warn(`${queue}: request past its deadline by ${Date.now() - Number(headers[DEADLINE])} ms, dropped unprocessed`);
      return channel.ack(msg);
    }
    let result: unknown;
    try {
      result = await handler(JSON.parse(msg.content.toString()), asFirstDelivered(msg));
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      span?.recordException(error);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      if (isTransient(error)) {
        // A dependency is down: wait, then back to the queue without using up a try.
        const outages = Number(headers[OUTAGE_COUNT] ?? 0) + 1;
        const wait = Math.min(OUTAGE_DELAY_CAP_MS, OUTAGE_DELAY_MS * 2 ** (outages - 1));
        span?.setAttribute('traceshop.messaging.outage_count', outages);
        this.logger.warn(`${queue}: a dependency is unavailable (${error.message}); the message goes back to the queue in ${wait} ms`);
        await sleep(wait);
        if (await this.retry(link, queue, msg, retries, { [OUTAGE_COUNT]: outages })) return channel.ack(msg);
        return channel.nack(msg, false, true); // not copied: the broker keeps it, never the dead-letter queue
      }
      if (retries < MAX_RETRIES) {
        this.logger.warn(`${queue}: message failed (try ${retries + 1} of ${1 + MAX_RETRIES}), retrying: ${error.message}`);
        if (await this.retry(link, queue, msg, retries + 1)) return channel.ack(msg);
      }
      channel.nack(msg, false, false);
      this.logger.error(`${queue}: message dead-lettered: ${error.message}`);
      return;
    }
    if (msg.properties.replyTo) {
      channel.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify(result)), {
        correlationId: msg.properties.correlationId,
        contentType: 'application/json',
      });
    }
    channel.ack(msg);
  }

  /**
   * Puts a copy of `msg` at the back of `queue` (through the default exchange) with its retry
   * count; where it first came from travels in headers, so the handler sees the same routing key.
   * Published on the connection the message came on, so a copy is never made for an original
   * that can no longer be acked. Resolves false when the broker did not take the copy: the caller
   * dead-letters the original. (Should the ack of the original then be lost, it comes back too:
   * at least once, as always.)
   */
  private async retry(link: Link, queue: string, msg: ConsumeMessage, count: number, extra: Record<string, number> = {}): Promise<boolean> {
    const { headers = {}, ...properties } = msg.properties;
    // Where it first came from, recorded when it is first republished (a try, or an outage).
    const first = headers[FIRST_ROUTING_KEY] === undefined ? { [FIRST_EXCHANGE]: msg.fields.exchange, [FIRST_ROUTING_KEY]: msg.fields.routingKey } : {};
    return new Promise((resolve) => {
      try {
        link.publisher.publish('', queue, msg.content, {
          ...withoutUndefined(properties),
          persistent: true,
          headers: { ...headers, ...first, ...extra, [RETRY_COUNT]: count },
        }, (err) => resolve(!err));
      } catch {
        resolve(false); // the channel is closed
      }
    });
  }

  private settle(msg: ConsumeMessage) {
    nameProcessSpan(DIRECT_REPLY_TO, msg);
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

/**
 * Names the amqplib instrumentation's consumer span (active while a message is handled) as the
 * messaging conventions name a span, `{operation} {destination}`, with the queue as destination:
 * `process payment.requests`, `process cart.order-events`. The queue, not RabbitMQ's full
 * `{exchange}:{routing key}:{queue}` (in `messaging.destination.name`): it is the one part a
 * person knows the consumer by, and the same on every try, since a retry comes back through the
 * default exchange.
 */
function nameProcessSpan(queue: string, { fields }: ConsumeMessage): void {
  // A routing key that is the queue's name (or, for replies, the queue's generated name) is left out.
  const route = [fields.exchange, fields.routingKey.startsWith(queue) ? '' : fields.routingKey, queue].filter(Boolean).join(':');
  trace.getActiveSpan()?.updateName(`process ${queue}`).setAttributes({ 'messaging.operation.name': 'process', 'messaging.destination.name': route });
}

/**
 * Closes a connection without waiting: a broker that stopped answering never sends the close-ok,
 * and an already closed connection only rejects.
 */
function closeQuietly(connection: ChannelModel): void {
  connection.close().catch(() => undefined);
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
