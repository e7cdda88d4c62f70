export { AmqpService, ReplyTimeoutError } from './lib/amqp.service';
export { MessagingModule } from './lib/messaging.module';
export { assertTopology, WORK_QUEUES } from './lib/topology';
