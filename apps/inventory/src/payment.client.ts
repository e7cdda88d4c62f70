import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { PaymentOutcome } from '@traceshop/contracts';
import { ServiceClient } from '@traceshop/platform';

/** Injection token of inventory's view of the payment service. */
export const PAYMENT_CLIENT = Symbol('PAYMENT_CLIENT');

/** What inventory needs from payment: whether an order was paid, or ever will be. */
export interface PaymentClient {
  /**
   * The settled outcome of the order's payment (payment's reconciliation: an order payment never
   * saw is voided there, so it can never be charged later). Throws when payment cannot answer.
   */
  outcomeOf(orderId: string): Promise<PaymentOutcome['status']>;
}

const OUTCOMES: readonly string[] = ['approved', 'declined', 'voided', 'unknown'];

/**
 * How long one question may take. Not a setting: when it runs out the outcome is unknown and the
 * reservation is kept, so a slow payment costs the sweep only time, never a wrong release.
 */
const TIMEOUT_MS = 2_000;

/**
 * Payment's `POST /payments/:orderId/reconcile` (ServiceClient: the undici instrumentation makes
 * the client span and injects `traceparent`, so payment's work joins the sweeper's trace). Whatever
 * it throws (502, 504, or an answer that is no outcome) never becomes an HTTP answer: the sweeper
 * takes any failure as "payment unreachable" and keeps the reservation.
 */
@Injectable()
export class HttpPaymentClient implements PaymentClient {
  private readonly payment: ServiceClient;

  constructor(config: ConfigService) {
    this.payment = new ServiceClient({ service: 'payment', baseUrl: config.getOrThrow<string>('PAYMENT_URL'), timeoutMs: TIMEOUT_MS });
  }

  async outcomeOf(orderId: string): Promise<PaymentOutcome['status']> {
    const outcome = await this.payment.call<{ status?: unknown }>(`/payments/${encodeURIComponent(orderId)}/reconcile`, { method: 'POST' });
    if (typeof outcome?.status === 'string' && OUTCOMES.includes(outcome.status)) return outcome.status as PaymentOutcome['status'];
    throw new Error('payment answered with an unknown status');
  }
}
