import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { trace } from '@opentelemetry/api';
import { ChargeLookup, ChargeRequest, SCENARIOS } from '@traceshop/contracts';
import { Flags, ServiceAnswer, ServiceClient } from '@traceshop/platform';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CircuitBreaker } from './circuit-breaker';

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
 * The retry policy of the retry-storm fix: at most 3 attempts per charge, waits of full-jitter
 * exponential backoff (a random time up to 100 ms, 200 ms, ...) on top of the provider's
 * `Retry-After`, and never a wait past 5 s (the gateway waits for the reply, and the reconciler
 * settles what stays unknown).
 */
const RETRY = { attempts: 3, baseMs: 100, maxWaitMs: 5_000 };
/**
 * The retry budget (Linkerd's and Finagle's kind): in each 10 s, retries may add at most 20 % to
 * the charges, plus 10, so a provider in trouble gets at most that much more load from payment.
 */
const BUDGET = { windowMs: 10_000, ratio: 0.2, floor: 10 };

/**
 * The provider-unreachable fix's breaker: three failures in a row (timeouts, refused connections,
 * 5xx) open it; then a probe every 2 s, and the first answer closes it. Three, not one: a single
 * lost request is no outage. Two seconds: a checkout waits at most that long after the processor
 * is back (plus one probe's timeout, if a probe was in flight).
 */
const BREAKER = { failuresToOpen: 3, probeEveryMs: 2_000 };

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
  /** Charges and retries of the budget's current window (retry-storm fix). */
  private budget = { since: 0, charges: 0, retries: 0 };
  /**
   * The provider-unreachable fix. Its probe is a lookup of a key no charge has (the provider voids
   * it, which changes nothing): a real request through the same path as a charge, that charges no one.
   */
  private readonly breaker = new CircuitBreaker({ name: 'payment-provider', ...BREAKER, probe: () => this.lookup(`circuit-probe-${randomUUID()}`) });

  constructor(config: ConfigService, private readonly flags: Flags) {
    this.provider = new ServiceClient({
      service: 'payment-provider',
      baseUrl: config.getOrThrow<string>('PAYMENT_PROVIDER_URL'),
      timeoutMs: config.getOrThrow<number>('PROVIDER_TIMEOUT_MS'),
    });
  }

  async charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeLookup> {
    // Fix of provider-unreachable: once the provider has failed three times in a row, fail fast.
    // A charge the breaker refuses was never sent (CircuitOpenError), so payment can say for sure
    // that nothing was charged, in milliseconds, instead of "unknown" after PROVIDER_TIMEOUT_MS.
    if (await this.flags.fixOn(SCENARIOS.providerUnreachable)) return this.breaker.call(() => this.chargeUnprotected(request, idempotencyKey));
    return this.chargeUnprotected(request, idempotencyKey);
  }

  private async chargeUnprotected(request: ChargeRequest, idempotencyKey: string): Promise<ChargeLookup> {
    // Fix of retry-storm: retry only what the provider turned away (503, 429: nothing was done),
    // after the wait it asks for plus a random backoff, so the callers it shed come back spread
    // out instead of all at once, and only while the retry budget lasts. In the trace: at most
    // three sibling `POST` spans, a `retry` event with the wait before each repeat.
    if (await this.flags.fixOn(SCENARIOS.retryStorm)) return this.chargeWithRetries(request, idempotencyKey);
    // Scenario retry-storm: "the provider is flaky, just ask again" — at once, in a loop, with no
    // backoff and no retry budget, so a struggling provider gets several times the load. In the
    // trace: up to five sibling `POST` spans under one `payment.charge`, each with the provider's
    // server span below it, all 503 while it stays overloaded. (The Idempotency-Key still guards
    // the money.)
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
    return this.outcome(await this.send(request, idempotencyKey));
  }

  /** The retry-storm fix's loop: see RETRY and BUDGET. */
  private async chargeWithRetries(request: ChargeRequest, idempotencyKey: string): Promise<ChargeLookup> {
    this.budgetWindow().charges++;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.send(request, idempotencyKey);
      if (answer.status !== 503 && answer.status !== 429) return this.outcome(answer);
      const waitMs = retryAfterMs(answer) + Math.random() * RETRY.baseMs * 2 ** (attempt - 1);
      const stop = attempt >= RETRY.attempts ? 'attempts' : waitMs > RETRY.maxWaitMs ? 'wait' : !this.takeRetry() ? 'budget' : undefined;
      const span = trace.getActiveSpan();
      if (stop) {
        span?.addEvent('no retry', { 'traceshop.retry.attempt': attempt, 'traceshop.retry.reason': stop });
        return this.outcome(answer); // throws: the outcome is unknown to payment, as without retries
      }
      span?.addEvent('retry', { 'traceshop.retry.attempt': attempt, 'traceshop.retry.wait_ms': Math.round(waitMs) });
      await sleep(waitMs);
    }
  }

  /** The retry budget's counts for the current window (a new window every BUDGET.windowMs). */
  private budgetWindow() {
    if (Date.now() - this.budget.since >= BUDGET.windowMs) this.budget = { since: Date.now(), charges: 0, retries: 0 };
    return this.budget;
  }

  /** Takes one retry from the budget; false when it is spent. */
  private takeRetry(): boolean {
    const window = this.budgetWindow();
    if (window.retries >= BUDGET.floor + BUDGET.ratio * window.charges) return false;
    window.retries++;
    return true;
  }

  private send(request: ChargeRequest, idempotencyKey: string): Promise<ServiceAnswer> {
    // The provider answers a repeated key with its first result: a retry never charges twice.
    return this.provider.request('/charges', { method: 'POST', body: request, headers: { 'idempotency-key': idempotencyKey } });
  }

  private outcome({ status, body }: ServiceAnswer): ChargeLookup {
    // 402 is the provider's "declined": an answer, not a failure.
    if ((status === 201 || status === 402) && body) return body as ChargeLookup;
    // 409: a lookup (a reconcile of this order) voided the key before this charge arrived, and
    // the provider refuses it: nothing was, or will be, charged.
    if (status === 409) return { status: 'voided' };
    throw this.provider.failure({ status, body });
  }
}

/** `Retry-After` in milliseconds: seconds, or an HTTP date; 0 when absent or unreadable. */
function retryAfterMs({ headers }: ServiceAnswer): number {
  const value = headers?.get('retry-after');
  if (!value) return 0;
  const ms = /^\d+$/.test(value) ? Number(value) * 1_000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : 0;
}
