import { connect, type GetMessage } from 'amqplib';
import { FIRST_EXCHANGE, FIRST_ROUTING_KEY, RETRY_COUNT } from './amqp.service';
import { WORK_QUEUES } from './topology';

/** How often a message has been replayed from its dead-letter queue. */
export const REPLAY_COUNT = 'x-replay-count';
/** Headers of a dead letter's earlier life that the replayed message leaves behind. */
const SPENT = ['x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason', RETRY_COUNT, 'x-outage-count'];

/**
 * Moves the dead letters of a work queue (`<queue>.dlq`) back to the queue, once the consumer has
 * been fixed: the redrive that makes a dead-letter queue a pause rather than a loss. Each is
 * published through the default exchange, as the consumer's own retries are, with its tries
 * counted afresh, where it was first published to (so the handler sees its routing key), its
 * trace context (so its processing joins the trace it came from) and `x-replay-count` one higher;
 * the dead letter is acked only once the broker has confirmed the copy. Only the messages there
 * when it starts are moved, so one that fails again is not replayed twice in a run. Resolves with
 * how many it moved.
 */
export async function replayDeadLetters(amqpUrl: string, queue: string): Promise<number> {
  if (!WORK_QUEUES.includes(queue)) throw new Error(`${queue} is not a work queue with a dead-letter queue (${WORK_QUEUES.join(', ')})`);
  const connection = await connect(amqpUrl, { timeout: 10_000 });
  connection.on('error', () => undefined); // a failure shows up as the rejected call
  try {
    const channel = await connection.createConfirmChannel();
    const dlq = `${queue}.dlq`;
    const { messageCount } = await channel.checkQueue(dlq);
    let moved = 0;
    for (; moved < messageCount; moved++) {
      const message = await channel.get(dlq, { noAck: false });
      if (!message) break;
      const { headers = {}, ...properties } = message.properties;
      channel.publish('', queue, message.content, {
        ...Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined)),
        persistent: true,
        headers: { ...withoutSpent(headers), ...firstDestination(message), [REPLAY_COUNT]: Number(headers[REPLAY_COUNT] ?? 0) + 1 },
      });
      await channel.waitForConfirms();
      channel.ack(message);
    }
    await channel.close();
    return moved;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function withoutSpent(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !SPENT.includes(k)));
}

/** Where the message was first published: kept from its retries, else from the broker's x-death. */
function firstDestination({ properties: { headers = {} } }: GetMessage): Record<string, string> {
  if (headers[FIRST_ROUTING_KEY] !== undefined) return { [FIRST_EXCHANGE]: headers[FIRST_EXCHANGE], [FIRST_ROUTING_KEY]: headers[FIRST_ROUTING_KEY] };
  const death = (headers['x-death'] as { exchange?: string; 'routing-keys'?: string[] }[] | undefined)?.[0];
  return death ? { [FIRST_EXCHANGE]: death.exchange ?? '', [FIRST_ROUTING_KEY]: death['routing-keys']?.[0] ?? '' } : {};
}
