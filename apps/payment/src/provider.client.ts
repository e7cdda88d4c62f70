import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ChargeRequest, ChargeResponse, SCENARIOS } from '@traceshop/contracts';
import { Flags } from '@traceshop/platform';

/** Injection token of the card processor client (tests and fault scenarios can swap it). */
export const PROVIDER_CLIENT = Symbol('PROVIDER_CLIENT');

/** What payment needs from a card processor. */
export interface PaymentProvider {
  /** Resolves approved or declined; throws when the outcome is unknown (timeout, 5xx, ...). */
  charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeResponse>;
}

/** How often the retry-storm scenario's naive loop asks the provider for one charge. */
const STORM_ATTEMPTS = 5;

/**
 * The payment provider over HTTP. Global fetch is traced by the undici instrumentation, which
 * makes the client span and injects `traceparent`, so the provider's server span joins the trace.
 */
@Injectable()
export class ProviderClient implements PaymentProvider {
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(config: ConfigService, private readonly flags: Flags) {
    this.url = `${config.getOrThrow<string>('PAYMENT_PROVIDER_URL').replace(/\/$/, '')}/charges`;
    this.timeoutMs = config.getOrThrow<number>('PROVIDER_TIMEOUT_MS');
  }

  async charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeResponse> {
    // Scenario retry-storm: "the provider is flaky, just ask again" — at once, in a loop, with no
    // backoff and no retry budget, so a struggling provider gets several times the load. In the
    // trace: up to five sibling `POST` spans under one `payment.charge`, most of them errors,
    // each with the provider's server span below it. (The Idempotency-Key still guards the money.)
    if (await this.flags.isOn(SCENARIOS.retryStorm)) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.chargeOnce(request, idempotencyKey);
        } catch (e) {
          if (attempt >= STORM_ATTEMPTS) throw e;
        }
      }
    }
    return this.chargeOnce(request, idempotencyKey);
  }

  private async chargeOnce(request: ChargeRequest, idempotencyKey: string): Promise<ChargeResponse> {
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
