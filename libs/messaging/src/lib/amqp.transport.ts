import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { BaseRpcContext } from '@nestjs/microservices/ctx-host/base-rpc.context';
import type { ConsumeMessage } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import { AmqpService, DEADLINE, RETRY_COUNT } from './amqp.service';

/** What a message handler can ask about the message (`@Ctx() ctx: AmqpContext`). */
export class AmqpContext extends BaseRpcContext<[ConsumeMessage]> {
  getMessage(): ConsumeMessage {
    return this.args[0];
  }

  /** The routing key it was published with (also on a retried copy). */
  getRoutingKey(): string {
    return this.args[0].fields.routingKey;
  }

  /** How many tries came before this one. */
  getRetryCount(): number {
    return Number(this.args[0].properties.headers?.[RETRY_COUNT] ?? 0);
  }

  /** When the sender of a request stops waiting for its reply (ms since the epoch; `x-deadline`), if it said. */
  getDeadline(): number | undefined {
    const deadline = this.args[0].properties.headers?.[DEADLINE];
    return deadline === undefined ? undefined : Number(deadline);
  }
}

/**
 * The Nest transport of TraceShop: every `@MessagePattern(queue)` / `@EventPattern(queue)` handler
 * of the app consumes that queue through `AmqpService.consume`, so what must not be lost stays as
 * it was — manual acks after the handler, tries and dead-lettering, outages waited out, requests
 * past their deadline dropped, reconnection with every consumer restored, one connection per
 * service opened at start-up, and the amqplib instrumentation's `process` span around the handler
 * (a child of the publisher's span), with plain JSON on the wire.
 *
 * Unlike Nest's own event dispatch, a handler's failure is not swallowed, for events too: it
 * reaches `consume`, which tries the message again or dead-letters it. A message handler's result
 * is the reply to a request.
 */
export class AmqpTransport extends Server implements CustomTransportStrategy {
  constructor(private readonly amqp: AmqpService) {
    super();
  }

  async listen(callback: () => void): Promise<void> {
    for (const [queue, handler] of this.messageHandlers) {
      await this.amqp.consume(queue, (body, msg) => this.dispatch(handler, body, msg));
    }
    callback();
  }

  /** Nothing to do: the connection is AmqpService's, closed at shutdown. */
  close(): void {
    return undefined;
  }

  on(): never {
    throw new Error('AmqpTransport has no events to listen to: AmqpService logs and recovers its connection');
  }

  unwrap<T>(): T {
    return this.amqp as T;
  }

  private async dispatch(handler: MessageHandler, body: unknown, msg: ConsumeMessage): Promise<unknown> {
    const result = this.transformToObservable(await handler(body, new AmqpContext([msg])));
    const value = await lastValueFrom(result, { defaultValue: undefined });
    return handler.isEventHandler ? undefined : value;
  }
}
