import { FIRST_ROUTING_KEY, RETRY_COUNT, WORK_QUEUES } from '@traceshop/messaging';
import { connect, type GetMessage } from 'amqplib';
import type { Findings } from './database.checks';
import type { DeadLetter } from './invariants';
import { maskSecrets } from './mask';

/** What the dead-letter queues hold: every listed message is a violation. */
export interface DeadLetterFindings extends Findings {
  deadLettered: DeadLetter[];
  /** All messages in the queues, listed or not. */
  total: number;
}

/**
 * Lists the messages of each `<queue>.dlq` without taking them: each is fetched unacknowledged
 * and the channel closed afterwards, which puts them all back. At most `limit` per queue.
 */
export async function readDeadLetters(amqpUrl: string, limit: number): Promise<DeadLetterFindings> {
  const findings: DeadLetterFindings = { violations: [], skipped: [], checked: [], deadLettered: [], total: 0 };
  const connection = await connect(amqpUrl, { timeout: 10_000 });
  connection.on('error', () => undefined); // a failure shows up as the rejected call
  try {
    for (const queue of WORK_QUEUES.map((q) => `${q}.dlq`)) {
      // A channel per queue: checking a queue that does not exist closes the channel.
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      try {
        let count: number;
        try {
          count = (await channel.checkQueue(queue)).messageCount;
        } catch {
          findings.skipped.push({ invariant: 'nothing-dead-lettered', part: queue, reason: 'no such queue (no service has declared the topology here yet?)' });
          continue;
        }
        findings.total += count;
        const listed: DeadLetter[] = [];
        while (listed.length < Math.min(count, limit)) {
          const message = await channel.get(queue, { noAck: false });
          if (!message) break;
          listed.push(describe(queue, message));
        }
        for (const [i, d] of listed.entries()) {
          const why = [d.deathReason && `dead-lettered: ${d.deathReason}`, d.retryCount !== null && `${d.retryCount} retries`].filter(Boolean).join(', ');
          findings.violations.push({ invariant: 'nothing-dead-lettered', id: d.messageId ?? `${queue} #${i + 1}`, detail: `${queue}: ${d.routingKey} (${why || 'no x-death'}): ${d.body}` });
        }
        if (count > listed.length) {
          findings.violations.push({ invariant: 'nothing-dead-lettered', id: queue, detail: `${count - listed.length} more messages, not listed (--dlq-limit ${limit})` });
        }
        findings.deadLettered.push(...listed);
        if (!findings.checked.includes('nothing-dead-lettered')) findings.checked.push('nothing-dead-lettered');
      } finally {
        await channel.close().catch(() => undefined); // never acked: back in the queue, in order
      }
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
  return findings;
}

function describe(queue: string, message: GetMessage): DeadLetter {
  const headers = message.properties.headers ?? {};
  // The newest x-death entry says why and from where the broker dead-lettered it.
  const death = Array.isArray(headers['x-death']) ? (headers['x-death'][0] as { reason?: string; 'routing-keys'?: string[] }) : undefined;
  const retries = headers[RETRY_COUNT];
  return {
    queue,
    routingKey: String(headers[FIRST_ROUTING_KEY] ?? death?.['routing-keys']?.[0] ?? message.fields.routingKey),
    messageId: message.properties.messageId ?? null,
    retryCount: retries === undefined ? null : Number(retries),
    deathReason: death?.reason ?? null,
    // Masked before it is cut, so no card number survives half-cut.
    body: maskSecrets(message.content.toString('utf8')).slice(0, 200),
  };
}
