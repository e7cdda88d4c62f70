import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ChargeRequest, ChargeResponse } from '@traceshop/contracts';

/** Injection token of the card processor client (tests and fault scenarios can swap it). */
export const PROVIDER_CLIENT = Symbol('PROVIDER_CLIENT');

/** What payment needs from a card processor. */
export interface PaymentProvider {
  /** Resolves approved or declined; throws when the outcome is unknown (timeout, 5xx, ...). */
  charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeResponse>;
}

/**
 * The payment provider over HTTP. Global fetch is traced by the undici instrumentation, which
 * makes the client span and injects `traceparent`, so the provider's server span joins the trace.
 */
@Injectable()
export class ProviderClient implements PaymentProvider {
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(config: ConfigService) {
    this.url = `${config.getOrThrow<string>('PAYMENT_PROVIDER_URL').replace(/\/$/, '')}/charges`;
    this.timeoutMs = config.getOrThrow<number>('PROVIDER_TIMEOUT_MS');
  }

  async charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeResponse> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        // The provider answers a repeated key with its first result: a retry never charges twice.
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      if ((e as Error).name === 'TimeoutError') throw new Error(`the payment provider did not answer within ${this.timeoutMs} ms`);
      throw new Error('the payment provider is unreachable');
    }
    // 402 is the provider's "declined": an answer, not a failure.
    if (res.status === 201 || res.status === 402) return (await res.json()) as ChargeResponse;
    await res.body?.cancel();
    throw new Error(`the payment provider answered HTTP ${res.status}`);
  }
}
