import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { PaymentOutcome } from '@traceshop/contracts';
import { ServiceClient } from '@traceshop/platform';

/**
 * payment's HTTP side. Charging goes over RabbitMQ (request/reply); asking what became of a
 * charge whose answer was lost is a question, asked over HTTP, and works while the broker is down.
 */
@Injectable()
export class PaymentClient {
  private readonly payment: ServiceClient;

  constructor(config: ConfigService) {
    this.payment = new ServiceClient({ service: 'payment', baseUrl: config.getOrThrow<string>('PAYMENT_URL'), timeoutMs: config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS') });
  }

  /** The settled outcome of the order's payment (payment asks the provider when it does not know). */
  reconcile(orderId: string) {
    return this.payment.call<PaymentOutcome>(`/payments/${encodeURIComponent(orderId)}/reconcile`, { method: 'POST' });
  }
}
