import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { context, ROOT_CONTEXT, Span, trace } from '@opentelemetry/api';
import { PAYMENT_REQUESTS_QUEUE, PaymentReply, PaymentRequestDto, SCENARIOS } from '@traceshop/contracts';
import { Flags } from '@traceshop/platform';
import { PaymentService } from './payment.service';

const tracer = trace.getTracer('payment');

/**
 * Takes payment requests off PAYMENT_REQUESTS_QUEUE (the AmqpTransport of libs/messaging). The
 * request is validated like an HTTP body (a malformed one is a bug in its sender: retrying cannot
 * fix it, so it ends in `payment.requests.dlq`); what `handle` returns is the reply.
 */
@Controller()
export class PaymentRequestsController {
  private readonly logger = new Logger(PaymentRequestsController.name);

  constructor(
    private readonly payments: PaymentService,
    private readonly flags: Flags,
  ) {}

  @MessagePattern(PAYMENT_REQUESTS_QUEUE)
  async handle(@Payload() request: PaymentRequestDto): Promise<PaymentReply> {
    // Scenario broken-propagation: the payment runs on a fresh context, not the one the message
    // brought. Each checkout splits in two traces: the gateway's ends at an empty
    // `process payment.requests` span, and the payment's work is orphaned under `payment.process`.
    if (await this.flags.isOn(SCENARIOS.brokenPropagation)) {
      return context.with(ROOT_CONTEXT, () =>
        tracer.startActiveSpan('payment.process', (span) => this.process(request, span).finally(() => span.end())),
      );
    }
    return this.process(request, trace.getActiveSpan()); // the amqplib "process" span of this message
  }

  private async process(request: PaymentRequestDto, span: Span | undefined): Promise<PaymentReply> {
    span?.setAttributes({ 'traceshop.order.id': request.orderId, 'enduser.id': request.userId });
    const reply = await this.payments.pay(request);
    span?.setAttribute('traceshop.payment.status', reply.status);
    const line = `order ${request.orderId}: payment ${reply.status}${reply.reason ? ` (${reply.reason})` : ''}`;
    if (reply.status === 'error') this.logger.warn(line);
    else this.logger.log(line);
    return reply;
  }
}
