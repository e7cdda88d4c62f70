import { Controller, Logger } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { context, ROOT_CONTEXT, Span, trace } from '@opentelemetry/api';
import { PAYMENT_REQUESTS_QUEUE, PaymentReply, PaymentRequestDto, SCENARIOS } from '@traceshop/contracts';
import { AmqpContext, AmqpService } from '@traceshop/messaging';
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
    private readonly amqp: AmqpService,
  ) {}

  @MessagePattern(PAYMENT_REQUESTS_QUEUE)
  async handle(@Payload() request: PaymentRequestDto, @Ctx() ctx: AmqpContext): Promise<PaymentReply> {
    // Scenario backlog: payment takes one request at a time ("so that two charges never race"),
    // and each waits ~300 ms on the processor: three payments a second. A burst of checkouts waits
    // in payment.requests, where no span is: in the trace, the gap between the gateway's `publish
    // payment.requests` and this `process payment.requests` grows along the burst, every span short.
    // The fix: up to the consumer's prefetch (10) at once, ten charges waiting on the processor
    // together. One at a time guarded against nothing: the payments row (unique per order) and the
    // provider's Idempotency-Key charge an order once, however many requests run side by side.
    const oneAtATime = (await this.flags.isOn(SCENARIOS.backlog)) && !(await this.flags.fixOn(SCENARIOS.backlog));
    await this.amqp.limit(PAYMENT_REQUESTS_QUEUE, oneAtATime ? 1 : undefined); // from the next delivery on
    const deadline = ctx.getDeadline();
    // Scenario broken-propagation: the payment runs on a fresh context, not the one the message
    // brought. Each checkout splits in two traces: the gateway's ends at an empty
    // `process payment.requests` span, and the payment's work is orphaned under `payment.process`.
    if (await this.flags.isOn(SCENARIOS.brokenPropagation)) {
      return context.with(ROOT_CONTEXT, () =>
        tracer.startActiveSpan('payment.process', (span) => this.process(request, deadline, span).finally(() => span.end())),
      );
    }
    return this.process(request, deadline, trace.getActiveSpan()); // the amqplib "process" span of this message
  }

  private async process(request: PaymentRequestDto, deadline: number | undefined, span: Span | undefined): Promise<PaymentReply> {
    span?.setAttributes({ 'traceshop.order.id': request.orderId, 'enduser.id': request.userId });
    const reply = await this.payments.pay(request, deadline);
    span?.setAttribute('traceshop.payment.status', reply.status);
    const line = `order ${request.orderId}: payment ${reply.status}${reply.reason ? ` (${reply.reason})` : ''}`;
    if (reply.status === 'error') this.logger.warn(line);
    else this.logger.log(line);
    return reply;
  }
}
