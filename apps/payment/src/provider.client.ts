import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ChargeLookup, ChargeRequest, SCENARIOS } from '@traceshop/contracts';
import { Flags, ServiceClient } from '@traceshop/platform';

/** Injection token of the card processor client (tests and fault scenarios can swap it). */
export const PROVIDER_CLIENT = Symbol('PROVIDER_CLIENT');

/** What payment needs from a card processor. Both calls send the order id as Idempotency-Key. */
export interface PaymentProvider {
  /**
   * Resolves approved or declined, or voided when a lookup voided the key first (nothing was
   * charged); throws when the outcome is unknown (timeout, 5xx, ...).
   */
  charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeLookup>;
  /**
   * What became of the charge with this key; a key the provider never charged is voided from
   * then on. Throws when the provider cannot be asked (timeout, 5xx, ...).
   */
  lookup(idempotencyKey: string): Promise<ChargeLookup>;
}

/** How often the retry-storm scenario's naive loop asks the provider for one charge. */
const STORM_ATTEMPTS = 5;

/**
 * The payment provider over HTTP (ServiceClient: the undici instrumentation makes the client span
 * and injects `traceparent`, so the provider's server span joins the trace).
 *
 * What ServiceClient throws for a failure (502 `payment-provider failed`, 504 `... did not answer
 * in time`, 502 `... is unavailable`) is never payment's own HTTP answer: PaymentService takes
 * any throw as "the outcome is unknown" (`error` on a charge, `unknown` on a reconcile) with its
 * message as the reason, because a charge that timed out may still have been made.
 */
@Injectable()
export class ProviderClient implements PaymentProvider {
  private readonly provider: ServiceClient;

  constructor(config: ConfigService, private readonly flags: Flags) {
    this.provider = new ServiceClient({
      service: 'payment-provider',
      baseUrl: config.getOrThrow<string>('PAYMENT_PROVIDER_URL'),
      timeoutMs: config.getOrThrow<number>('PROVIDER_TIMEOUT_MS'),
    });
  }

  async charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeLookup> {
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

  lookup(idempotencyKey: string): Promise<ChargeLookup> {
    return this.provider.call<ChargeLookup>('/charges/lookup', { method: 'POST', headers: { 'idempotency-key': idempotencyKey } });
  }

  private async chargeOnce(request: ChargeRequest, idempotencyKey: string): Promise<ChargeLookup> {
    // The provider answers a repeated key with its first result: a retry never charges twice.
    const { status, body } = await this.provider.request('/charges', { method: 'POST', body: request, headers: { 'idempotency-key': idempotencyKey } });
    // 402 is the provider's "declined": an answer, not a failure.
    if ((status === 201 || status === 402) && body) return body as ChargeLookup;
    // 409: a lookup (a reconcile of this order) voided the key before this charge arrived, and
    // the provider refuses it: nothing was, or will be, charged.
    if (status === 409) return { status: 'voided' };
    throw this.provider.failure({ status, body });
  }
}
