import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import type { PaymentOutcome } from '@traceshop/contracts';
import { PaymentService, PaymentView } from './payment.service';

/**
 * HTTP view of payments, for the gateway, inventory, tests and people. Payments themselves arrive
 * over RabbitMQ; reconcile is for a caller that could not learn a payment's outcome from its reply.
 */
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentService) {}

  @Get(':orderId')
  find(@Param('orderId', ParseUUIDPipe) orderId: string): Promise<PaymentView> {
    return this.payments.find(orderId);
  }

  /** 200 with the outcome, `unknown` included: the question was answered, the answer is "not yet". */
  @Post(':orderId/reconcile')
  @HttpCode(200)
  reconcile(@Param('orderId', ParseUUIDPipe) orderId: string): Promise<PaymentOutcome> {
    return this.payments.reconcile(orderId);
  }
}
