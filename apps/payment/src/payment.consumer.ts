import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { context, ROOT_CONTEXT, Span, trace } from '@opentelemetry/api';
import { PAYMENT_REQUESTS_QUEUE, PaymentReply, PaymentRequest, SCENARIOS } from '@traceshop/contracts';
import { AmqpService } from '@traceshop/messaging';
import { Flags } from '@traceshop/platform';
import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { PaymentRequestDto } from './payment-request.dto';
import { PaymentService } from './payment.service';

const tracer = trace.getTracer('payment');

/**
 * Takes payment requests off PAYMENT_REQUESTS_QUEUE. What `handle` returns is sent to the
 * request's `replyTo` (AmqpService); what it throws is dead-lettered to `payment.requests.dlq`.
 */
@Injectable()
export class PaymentConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(PaymentConsumer.name);

  constructor(
    private readonly amqp: AmqpService,
    private readonly payments: PaymentService,
    private readonly flags: Flags,
  ) {}

  // Only once every module is ready (migrations run, connection open) is a message taken.
  async onApplicationBootstrap(): Promise<void> {
    await this.amqp.consume<unknown>(PAYMENT_REQUESTS_QUEUE, (body) => this.handle(body));
  }

  private async handle(body: unknown): Promise<PaymentReply> {
    // A malformed request is a bug in its sender: retrying cannot fix it, so it is dead-lettered.
    const request = await parse(body);
    // Scenario broken-propagation: the payment runs on a fresh context, not the one the message
    // brought. Each checkout splits in two traces: the gateway's ends at an empty
    // `payment.requests process` span, and the payment's work is orphaned under `payment.process`.
    if (await this.flags.isOn(SCENARIOS.brokenPropagation)) {
      return context.with(ROOT_CONTEXT, () =>
        tracer.startActiveSpan('payment.process', (span) => this.process(request, span).finally(() => span.end())),
      );
    }
    return this.process(request, trace.getActiveSpan()); // the amqplib "process" span of this message
  }

  private async process(request: PaymentRequest, span: Span | undefined): Promise<PaymentReply> {
    span?.setAttributes({ 'traceshop.order.id': request.orderId, 'enduser.id': request.userId });
    const reply = await this.payments.pay(request);
    span?.setAttribute('traceshop.payment.status', reply.status);
    const line = `order ${request.orderId}: payment ${reply.status}${reply.reason ? ` (${reply.reason})` : ''}`;
    if (reply.status === 'error') this.logger.warn(line);
    else this.logger.log(line);
    return reply;
  }
}

async function parse(body: unknown): Promise<PaymentRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('invalid payment request: not a JSON object');
  const request = plainToInstance(PaymentRequestDto, body);
  const errors = await validate(request, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true });
  if (errors.length > 0) throw new Error(`invalid payment request: ${messages(errors).join('; ')}`);
  return request;
}

/** Constraint messages only: they name fields, never values, so no card number reaches a log. */
function messages(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => [...Object.values(e.constraints ?? {}), ...messages(e.children ?? [])]);
}
