export { BrokerUnavailableError, PublishUnconfirmedError, ReplyLostError, ReplyTimeoutError } from './lib/amqp.errors';
export { AmqpService, DEADLINE, FIRST_EXCHANGE, FIRST_ROUTING_KEY, MAX_RETRIES, RETRY_COUNT } from './lib/amqp.service';
export { isTransient } from './lib/transient';
export { MessagingModule } from './lib/messaging.module';
export { assertTopology, WORK_QUEUES } from './lib/topology';
export { replayDeadLetters, REPLAY_COUNT } from './lib/replay';
export { AmqpClient, AmqpRecord, type AmqpClientOptions } from './lib/amqp.client';
export { AmqpContext, AmqpTransport } from './lib/amqp.transport';
