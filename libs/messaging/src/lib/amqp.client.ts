import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { AmqpService } from './amqp.service';

/**
 * An event with how it is published (`client.emit(key, new AmqpRecord(data, {messageId}))`):
 * its AMQP message id, and an exchange other than the client's.
 */
export class AmqpRecord<T = unknown> {
  constructor(
    readonly data: T,
    readonly options: { messageId?: string; exchange?: string } = {},
  ) {}
}

/** Options of an `AmqpClient`. */
export interface AmqpClientOptions {
  /** `send(queue, …)` waits this long for the reply; the request carries it as its deadline. */
  timeoutMs?: number;
  /** `emit(routingKey, …)` publishes to this exchange. */
  exchange?: string;
}

/**
 * Nest's `ClientProxy` over `AmqpService`: `send(queue, request)` is request/reply (its errors are
 * AmqpService's: BrokerUnavailableError — nothing was sent —, ReplyTimeoutError, ReplyLostError),
 * `emit(routingKey, event)` publishes to the client's exchange and completes on the broker's
 * confirm. It never buffers: while the broker is down both fail at once (a client that queues
 * until it connects would send later from another request's context and merge traces).
 */
export class AmqpClient extends ClientProxy {
  constructor(
    private readonly amqp: AmqpService,
    private readonly options: AmqpClientOptions = {},
  ) {
    super();
  }

  /** Nothing to do: AmqpService connects at start-up and reconnects by itself. */
  connect(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to do: the connection is AmqpService's, closed at shutdown. */
  close(): void {
    return undefined;
  }

  unwrap<T>(): T {
    return this.amqp as T;
  }

  protected publish({ pattern, data }: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    this.amqp.request(queueOf(pattern), data, this.options.timeoutMs ?? 15_000).then(
      (response) => callback({ response, isDisposed: true }),
      (err) => callback({ err }),
    );
    return () => undefined; // a request cannot be taken back
  }

  protected async dispatchEvent<T = unknown>({ pattern, data }: ReadPacket): Promise<T> {
    const { data: body, options } = data instanceof AmqpRecord ? data : new AmqpRecord(data);
    const exchange = options.exchange ?? this.options.exchange;
    if (!exchange) throw new Error('AmqpClient: emit needs an exchange');
    await this.amqp.publish(exchange, queueOf(pattern), body, options.messageId);
    return undefined as T;
  }
}

function queueOf(pattern: unknown): string {
  if (typeof pattern !== 'string') throw new Error(`AmqpClient: patterns are queue names or routing keys, got ${JSON.stringify(pattern)}`);
  return pattern;
}
