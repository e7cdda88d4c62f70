import { Injectable, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ChargeRequest, ChargeResponse, SCENARIOS } from '@traceshop/contracts';
import { Flags } from '@traceshop/platform';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';

/** A charge's answer: 201 approved or 402 declined, with its body. */
export interface ChargeResult {
  statusCode: 201 | 402;
  body: ChargeResponse;
}

/**
 * How late the processor answers in the slow-checkout scenario: with the fraud query, payment
 * takes ~2.9 s of a ~3 s checkout, the reference incident's figures.
 */
const SLOW_PROVIDER_MS = 2_700;

/** The sandbox's test cards, the same as in real processors' documentation. */
const DECLINED_CARD = '4000000000000002';

/** In the retry-storm scenario, how many attempts of each charge the processor turns away. */
const STORM_SHED_ATTEMPTS = 3;

/**
 * A real processor keeps idempotency keys for about 24 hours in durable storage. This stand-in
 * keeps them in memory and forgets the oldest beyond this many, which is plenty for a retry
 * that comes seconds later and keeps a long load test from growing the process without bound.
 */
const MAX_REMEMBERED_KEYS = 10_000;

interface Remembered {
  requestHash: string;
  result: Promise<ChargeResult>;
}

/** Decides charges like a processor's sandbox: by test card number, once per Idempotency-Key. */
@Injectable()
export class ChargesService {
  private readonly latencyMs: number;
  // The promise is stored, not the result, so a retry that arrives while the first attempt is
  // still running waits for it instead of charging a second time.
  private readonly byKey = new Map<string, Remembered>();
  /** Attempts turned away per Idempotency-Key in the retry-storm scenario. */
  private readonly shedByKey = new Map<string, number>();

  constructor(config: ConfigService, private readonly flags: Flags) {
    this.latencyMs = config.getOrThrow<number>('PROVIDER_LATENCY_MS');
  }

  async charge(idempotencyKey: string, request: ChargeRequest): Promise<ChargeResult> {
    // Scenario retry-storm: the processor is overloaded and sheds load with 503 — here the first
    // three attempts of every key, so the storm is the same on every run. A shed request did
    // nothing, so its key stays free. In the trace: red `POST /charges` server spans, one per
    // attempt payment makes, before the one that charges.
    if (await this.flags.isOn(SCENARIOS.retryStorm)) {
      const shed = this.shedByKey.get(idempotencyKey) ?? 0;
      if (shed < STORM_SHED_ATTEMPTS) {
        if (this.shedByKey.size >= MAX_REMEMBERED_KEYS) this.shedByKey.delete(this.shedByKey.keys().next().value!);
        this.shedByKey.set(idempotencyKey, shed + 1);
        throw new ServiceUnavailableException('the processor is overloaded, try again later');
      }
    }
    const requestHash = hashOf(request);
    let remembered = this.byKey.get(idempotencyKey);
    const replayed = remembered !== undefined;
    // The IETF Idempotency-Key draft answers 422 when a key comes back with another payload.
    if (remembered && remembered.requestHash !== requestHash) {
      throw new UnprocessableEntityException('Idempotency-Key already used for a different request');
    }
    if (!remembered) {
      if (this.byKey.size >= MAX_REMEMBERED_KEYS) this.byKey.delete(this.byKey.keys().next().value!);
      remembered = { requestHash, result: this.decide(request) };
      this.byKey.set(idempotencyKey, remembered);
    }
    const result = await remembered.result;
    trace.getActiveSpan()?.setAttributes({
      'traceshop.charge.id': result.body.chargeId,
      'traceshop.charge.status': result.body.status,
      'traceshop.charge.replayed': replayed,
    });
    return result;
  }

  private async decide(request: ChargeRequest): Promise<ChargeResult> {
    // Fault scenario "slow provider": with PROVIDER_LATENCY_MS raised, this server span (and
    // payment's client span around it) grows by that much while nothing else in it does.
    if (this.latencyMs > 0) await setTimeout(this.latencyMs);
    // Scenario slow-checkout: the processor is having a bad day and answers after ~2.7 s. In the
    // trace, this server span and payment's `POST` client span around it take most of the checkout.
    if (await this.flags.isOn(SCENARIOS.slowCheckout)) await setTimeout(SLOW_PROVIDER_MS);
    const chargeId = `ch_${randomBytes(12).toString('hex')}`;
    // Scenario payment-declines: the processor declines a share of charges (100 or 50 percent),
    // picked by the order reference so a retry gets the same answer. The trace shows a 402 here,
    // error status in payment, and inventory releasing the stock on `order.declined`.
    const declineShare = await this.flags.number(SCENARIOS.paymentDeclines);
    if (declineShare > 0 && bucketOf(request.reference) < declineShare) {
      trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: 'do_not_honor' });
      return { statusCode: 402, body: { chargeId, status: 'declined', declineCode: 'do_not_honor' } };
    }
    if (request.cardNumber === DECLINED_CARD) {
      return { statusCode: 402, body: { chargeId, status: 'declined', declineCode: 'card_declined' } };
    }
    return { statusCode: 201, body: { chargeId, status: 'approved' } };
  }
}

/** A stable number from 0 to 99 for a reference. */
function bucketOf(reference: string): number {
  return createHash('sha256').update(reference).digest().readUInt32BE(0) % 100;
}

/** Field by field, so the key order of the JSON body does not matter; only the hash is kept. */
function hashOf(r: ChargeRequest): string {
  const fields = [r.amountCents, r.currency, r.cardNumber, r.expMonth, r.expYear, r.cvc, r.reference];
  return createHash('sha256').update(fields.join('\n')).digest('hex');
}
