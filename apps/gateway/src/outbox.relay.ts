import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { ConfigService } from '@nestjs/config';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AmqpRecord, AmqpService } from '@traceshop/messaging';
import { inSpan, inTransaction, PG_POOL } from '@traceshop/platform';
import type { Pool } from 'pg';
import { lastValueFrom } from 'rxjs';
import { ORDER_EVENTS_CLIENT } from './amqp.clients';

const tracer = trace.getTracer('gateway');

interface OutboxRow {
  id: string;
  exchange: string;
  routingKey: string;
  messageId: string;
  payload: unknown;
  traceContext: Record<string, string>;
  createdAt: Date;
}

/**
 * Relays the outbox to RabbitMQ: each unsent row is published with broker confirms and marked
 * sent only after the confirm (at least once; consumers are idempotent by order id). The request
 * that wrote a row relays it at once (`flush`); a timer relays whatever is left, e.g. after a
 * broker outage or a crash between the commit and the publish.
 *
 * Each publish runs in the trace context stored with the row, under an `outbox.relay` span: the
 * consumers' work stays in the trace of the state change that caused the event, however late it
 * is relayed (`traceshop.outbox.delay_ms` says how late).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly amqp: AmqpService,
    @Inject(ORDER_EVENTS_CLIENT) private readonly events: ClientProxy,
    config: ConfigService,
  ) {
    this.intervalMs = config.getOrThrow<number>('OUTBOX_INTERVAL_MS');
  }

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      if (this.polling || !this.amqp.isConnected()) return;
      this.polling = true;
      this.flush()
        .catch((e) => this.logger.warn(`outbox relay: ${(e as Error).message}`))
        .finally(() => (this.polling = false));
    }, this.intervalMs);
  }

  onApplicationShutdown() {
    clearInterval(this.timer);
  }

  /**
   * Publishes every unsent row no one else is relaying; resolves with how many were sent. Stops
   * at the first failed publish (the broker is gone): the rest waits for the next round.
   */
  flush(): Promise<number> {
    // The bookkeeping queries run outside any trace (no parent span: the pg instrumentation
    // makes none); only the publishes belong to a checkout's trace.
    return context.with(ROOT_CONTEXT, () =>
      inTransaction(this.pool, async (client) => {
        const { rows } = await client.query<OutboxRow>(
          `SELECT id, exchange, routing_key AS "routingKey", message_id AS "messageId", payload,
                  trace_context AS "traceContext", created_at AS "createdAt"
           FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED`,
        );
        let sent = 0;
        for (const row of rows) {
          try {
            await this.publish(row);
          } catch (e) {
            await client.query(`UPDATE outbox SET attempts = attempts + 1 WHERE id = $1`, [row.id]);
            this.logger.warn(`outbox ${row.id} (${row.routingKey} for ${row.messageId}) not relayed yet: ${(e as Error).message}`);
            break;
          }
          await client.query(`UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1`, [row.id]);
          sent++;
        }
        return sent;
      }),
    );
  }

  private publish(row: OutboxRow): Promise<void> {
    const parent = propagation.extract(ROOT_CONTEXT, row.traceContext);
    const attributes = {
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': row.exchange,
      'messaging.rabbitmq.destination.routing_key': row.routingKey,
      'traceshop.order.id': row.messageId,
      'traceshop.outbox.id': Number(row.id),
      'traceshop.outbox.delay_ms': Date.now() - new Date(row.createdAt).getTime(),
    };
    return inSpan(tracer, 'outbox.relay', { kind: SpanKind.INTERNAL, attributes }, async () => {
      const record = new AmqpRecord(row.payload, { messageId: row.messageId, exchange: row.exchange });
      await lastValueFrom(this.events.emit(row.routingKey, record), { defaultValue: undefined });
    }, parent);
  }
}
