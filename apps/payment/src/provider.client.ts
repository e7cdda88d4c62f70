import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ChargeLookup, ChargeRequest, SCENARIOS } from '@traceshop/contracts';
import { Flags } from '@traceshop/platform';

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
 * The payment provider over HTTP. Global fetch is traced by the undici instrumentation, which
 * makes the client span and injects `traceparent`, so the provider's server span joins the trace.
 */
@Injectable()
export class ProviderClient implements PaymentProvider {
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(config: ConfigService, private readonly flags: Flags) {
    this.url = config.getOrThrow<string>('PAYMENT_PROVIDER_URL').replace(/\/$/, '');
    this.timeoutMs = config.getOrThrow<number>('PROVIDER_TIMEOUT_MS');
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

  async lookup(idempotencyKey: string): Promise<ChargeLookup> {
    const { status, body } = await this.post('/charges/lookup', idempotencyKey);
    if (status === 200 && body) return body as ChargeLookup;
    throw new Error(`the payment provider answered HTTP ${status}`);
  }

  private async chargeOnce(request: ChargeRequest, idempotencyKey: string): Promise<ChargeLookup> {
    // The provider answers a repeated key with its first result: a retry never charges twice.
    const { status, body } = await this.post('/charges', idempotencyKey, request);
    // 402 is the provider's "declined": an answer, not a failure.
    if ((status === 201 || status === 402) && body) return body as ChargeLookup;
    // 409: a lookup (a reconcile of this order) voided the key before this charge arrived, and
    // the provider refuses it: nothing was, or will be, charged.
    if (status === 409) return { status: 'voided' };
    throw new Error(`the payment provider answered HTTP ${status}`);
  }

  /** One POST with the key; the timeout covers the whole exchange, body included. */
  private async post(path: string, idempotencyKey: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    try {
      const res = await fetch(`${this.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      return { status: res.status, body: parseJson(text) };
    } catch (e) {
      if ((e as Error).name === 'TimeoutError') throw new Error(`the payment provider did not answer within ${this.timeoutMs} ms`);
      throw new Error('the payment provider is unreachable');
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
