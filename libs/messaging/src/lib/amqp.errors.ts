import { ServiceUnavailableException } from '@nestjs/common';

/**
 * Thrown by `request` when no reply came in time. The outcome is unknown: the request may have
 * been processed and only its reply be late.
 */
export class ReplyTimeoutError extends Error {
  override name = 'ReplyTimeoutError';
}

/**
 * Thrown by `request` when the connection was lost before the reply came. The outcome is unknown,
 * as after a timeout (no reply will ever come on the new connection), so it is a kind of
 * `ReplyTimeoutError`: callers that handle a late reply handle a lost one too.
 */
export class ReplyLostError extends ReplyTimeoutError {
  override name = 'ReplyLostError';
}

/**
 * Thrown by `publish` when the broker did not confirm the message: the channel closed before the
 * confirm came, or the broker refused it. It may or may not have been delivered.
 */
export class PublishUnconfirmedError extends Error {
  override name = 'PublishUnconfirmedError';
}

/**
 * Thrown by `publish` and `request` while the service is not connected to RabbitMQ (it reconnects
 * by itself): nothing was sent. An HTTP caller answers 503 through the error filter.
 */
export class BrokerUnavailableError extends ServiceUnavailableException {
  constructor() {
    super('RabbitMQ is unavailable');
  }
}
