import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { PaymentService, PaymentView } from './payment.service';

/** Read-only HTTP view of payments, for tests and people; payments themselves arrive over RabbitMQ. */
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentService) {}

  @Get(':orderId')
  find(@Param('orderId', ParseUUIDPipe) orderId: string): Promise<PaymentView> {
    return this.payments.find(orderId);
  }
}
