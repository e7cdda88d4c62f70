import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { PaymentOutcome } from '@traceshop/contracts';
import { upstream } from './upstream';

/**
 * payment's HTTP side. Charging goes over RabbitMQ (request/reply); asking what became of a
 * charge whose answer was lost is a question, asked over HTTP, and works while the broker is down.
 */
@Injectable()
export class PaymentClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(config: ConfigService) {
    this.base = config.getOrThrow<string>('PAYMENT_URL');
    this.timeoutMs = config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS');
  }

  /** The settled outcome of the order's payment (payment asks the provider when it does not know). */
  reconcile(orderId: string) {
    return upstream<PaymentOutcome>({
      service: 'payment',
      url: `${this.base}/payments/${encodeURIComponent(orderId)}/reconcile`,
      method: 'POST',
      timeoutMs: this.timeoutMs,
    });
  }
}
