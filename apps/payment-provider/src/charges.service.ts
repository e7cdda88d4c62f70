import { ConflictException, Injectable, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ChargeLookup, ChargeRequest, ChargeResponse, SCENARIOS } from '@traceshop/contracts';
import { Flags } from '@traceshop/platform';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';

/** A charge's answer: 201 approved or 402 declined, with its body. */
export interface ChargeResult {
  statusCode: 201 | 402;
  body: ChargeResponse;
}

/** The sandbox's test cards, the same as in real processors' documentation. */
const DECLINED_CARD = '4000000000000002';
/** Approved, but only after SLOW_ISSUER_MS: the card's bank is slow to answer. */
const SLOW_ISSUER_CARD = '4000000000000259';
const SLOW_ISSUER_MS = 1_200;

/**
 * In the retry-storm scenario, how many charge requests the degraded processor takes in any one
 * second, and how many seconds it asks a request it turns away to wait (`Retry-After`).
 */
const STORM_CAPACITY_PER_S = 2;
const STORM_RETRY_AFTER_S = 1;
/** In the backlog scenario, how long each charge takes: a real processor's ordinary answer time. */
const BACKLOG_CHARGE_MS = 300;

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

/** Makes room for one more key: the oldest is forgotten first (Maps and Sets keep insertion order). */
function makeRoom(memory: Map<string, unknown> | Set<string>): void {
  if (memory.size >= MAX_REMEMBERED_KEYS) memory.delete(memory.keys().next().value!);
}

/** The processor turns a request away to shed load: 503, and `Retry-After` says when to come back. */
export class OverloadedException extends ServiceUnavailableException {
  constructor(readonly retryAfterSeconds: number) {
    super('the processor is overloaded, try again later');
  }
}

/** Decides charges like a processor's sandbox: by test card number, once per Idempotency-Key. */
@Injectable()
export class ChargesService {
  /** How late the processor answers in the slow-checkout scenario (PROVIDER_LATENCY_MS). */
  private readonly latencyMs: number;
  // The promise is stored, not the result, so a retry that arrives while the first attempt is
  // still running waits for it instead of charging a second time.
  private readonly byKey = new Map<string, Remembered>();
  /** When each charge request of the last second arrived (the retry-storm scenario's load). */
  private arrivals: number[] = [];
  /** Keys a lookup found never charged: refused from then on. */
  private readonly voidedKeys = new Set<string>();

  constructor(config: ConfigService, private readonly flags: Flags) {
    this.latencyMs = config.getOrThrow<number>('PROVIDER_LATENCY_MS');
  }

  async charge(idempotencyKey: string, request: ChargeRequest): Promise<ChargeResult> {
    // Scenario retry-storm: the processor is degraded and takes only STORM_CAPACITY_PER_S charge
    // requests a second; it sheds the rest with 503 and `Retry-After`. Every request counts, the
    // ones it turns away too (refusing them costs it work as well), so a caller that retries at
    // once keeps it overloaded. A shed request did nothing: its key stays free (a lookup voids
    // it). In the trace: red `POST /charges` server spans (503), one per attempt payment makes.
    if ((await this.flags.isOn(SCENARIOS.retryStorm)) && this.overloaded()) throw new OverloadedException(STORM_RETRY_AFTER_S);
    // No await between this check and storing the key below, so a lookup cannot void it in between.
    if (this.voidedKeys.has(idempotencyKey)) {
      trace.getActiveSpan()?.setAttribute('traceshop.charge.status', 'voided');
      throw new ConflictException('Idempotency-Key was voided by a lookup; nothing was charged');
    }
    const requestHash = hashOf(request);
    let remembered = this.byKey.get(idempotencyKey);
    const replayed = remembered !== undefined;
    // The IETF Idempotency-Key draft answers 422 when a key comes back with another payload.
    if (remembered && remembered.requestHash !== requestHash) {
      throw new UnprocessableEntityException('Idempotency-Key already used for a different request');
    }
    if (!remembered) {
      makeRoom(this.byKey);
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

  /**
   * What became of the charge with this key: its result (waiting for it while it is still being
   * decided, as a repeated charge does), or, for a key never charged, `voided` — and the key is
   * then refused for good (409), so a late request with it cannot turn "not charged" into a charge.
   * A key the retry-storm scenario shed with 503 was never charged, so it is voided too.
   */
  async lookup(idempotencyKey: string): Promise<ChargeLookup> {
    const remembered = this.byKey.get(idempotencyKey);
    // Voided in the same tick as the check, so no charge with this key can slip in between.
    if (!remembered && !this.voidedKeys.has(idempotencyKey)) {
      makeRoom(this.voidedKeys);
      this.voidedKeys.add(idempotencyKey);
    }
    const found: ChargeLookup = remembered ? (await remembered.result).body : { status: 'voided' };
    trace.getActiveSpan()?.setAttributes({ 'traceshop.charge.status': found.status, ...(found.chargeId ? { 'traceshop.charge.id': found.chargeId } : {}) });
    return found;
  }

  /** Counts this request into the last second's load: true when that is over capacity. */
  private overloaded(): boolean {
    const now = Date.now();
    this.arrivals = this.arrivals.filter((at) => now - at < 1_000);
    this.arrivals.push(now);
    return this.arrivals.length > STORM_CAPACITY_PER_S;
  }

  private async decide(request: ChargeRequest): Promise<ChargeResult> {
    // Scenario slow-checkout: the processor is having a bad day and answers after
    // PROVIDER_LATENCY_MS (default 2 s, the reference incident's provider). In the trace, this
    // server span and payment's `POST` client span around it take most of the checkout.
    if (await this.flags.isOn(SCENARIOS.slowCheckout)) await setTimeout(this.latencyMs);
    // Scenario orphaned-work: the same slow day (PROVIDER_LATENCY_MS), longer than the gateway now
    // waits for payment: this charge is approved after the client was answered.
    else if (await this.flags.isOn(SCENARIOS.orphanedWork)) await setTimeout(this.latencyMs);
    // Scenario backlog: an ordinary ~300 ms per charge; short, but payment waits for each one
    // before it takes the next request.
    else if (await this.flags.isOn(SCENARIOS.backlog)) await setTimeout(BACKLOG_CHARGE_MS);
    const chargeId = `ch_${randomBytes(12).toString('hex')}`;
    // Scenario payment-declines: the processor declines a share of charges (100 or 50 percent),
    // picked by the order reference so a retry gets the same answer. The trace shows a 402 here,
    // error status in payment, and inventory releasing the stock on `order.declined`.
    const declineShare = await this.flags.number(SCENARIOS.paymentDeclines);
    if (declineShare > 0 && bucketOf(request.reference) < declineShare) {
      trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: 'do_not_honor' });
      return { statusCode: 402, body: { chargeId, status: 'declined', declineCode: 'do_not_honor' } };
    }
    // The slow issuer's test card: slow whatever the scenarios, like the few slow checkouts every
    // shop has (k6/incidents/sampling-blind-spot.ts pays with it one time in ten).
    if (request.cardNumber === SLOW_ISSUER_CARD) await setTimeout(SLOW_ISSUER_MS);
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
