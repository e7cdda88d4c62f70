import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { PaymentOutcome } from '@traceshop/contracts';

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
 * Payment's `POST /payments/:orderId/reconcile` over fetch: the undici instrumentation makes the
 * client span and injects `traceparent`, so payment's work joins the sweeper's trace.
 */
@Injectable()
export class HttpPaymentClient implements PaymentClient {
  private readonly baseUrl: string;

  constructor(config: ConfigService) {
    this.baseUrl = config.getOrThrow<string>('PAYMENT_URL').replace(/\/$/, '');
  }

  async outcomeOf(orderId: string): Promise<PaymentOutcome['status']> {
    let res: Response;
    let body: { status?: unknown } | undefined;
    try {
      // The timeout covers the whole exchange, body included.
      res = await fetch(`${this.baseUrl}/payments/${encodeURIComponent(orderId)}/reconcile`, { method: 'POST', signal: AbortSignal.timeout(TIMEOUT_MS) });
      body = (await res.json().catch(() => undefined)) as { status?: unknown } | undefined;
    } catch (e) {
      throw new Error((e as Error).name === 'TimeoutError' ? `payment did not answer within ${TIMEOUT_MS} ms` : 'payment is unreachable');
    }
    if (res.ok && typeof body?.status === 'string' && OUTCOMES.includes(body.status)) return body.status as PaymentOutcome['status'];
    throw new Error(`payment answered HTTP ${res.status}${res.ok ? ' with an unknown status' : ''}`);
  }
}
