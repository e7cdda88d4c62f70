import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ChargeLookup, PaymentOutcome, PaymentReply, PaymentRequest, SCENARIOS } from '@traceshop/contracts';
import { Flags, inSpan } from '@traceshop/platform';
import { cardFingerprint, cardProblem } from './card';
import { CircuitOpenError } from './circuit-breaker';
import { FraudHistoryRepository } from './fraud-history.repository';
import { Payment, PaymentsRepository, PaymentStatus } from './payments.repository';
import { PaymentProvider, PROVIDER_CLIENT } from './provider.client';

/**
 * GET /payments/:orderId: what a person or a test may see of a payment (never the card). The
 * amount and card are null for an order reconciled as voided before its payment request came.
 */
export interface PaymentView {
  orderId: string;
  status: PaymentStatus;
  amountCents: number | null;
  cardLast4: string | null;
}

/** Statuses that never change again. */
const FINAL: readonly PaymentStatus[] = ['approved', 'declined', 'voided'];

const tracer = trace.getTracer('payment');

/**
 * Charges an order exactly once, however often its request is delivered: the payments row
 * (unique per order) is the first guard, the provider's Idempotency-Key (the order id) the second.
 */
@Injectable()
export class PaymentService {
  private readonly fraudLimit: number;
  /** The longest a charge may take (the provider client's timeout). */
  private readonly chargeMaxMs: number;

  constructor(
    private readonly payments: PaymentsRepository,
    private readonly history: FraudHistoryRepository,
    private readonly flags: Flags,
    @Inject(PROVIDER_CLIENT) private readonly provider: PaymentProvider,
    config: ConfigService,
  ) {
    this.fraudLimit = config.getOrThrow<number>('FRAUD_MAX_CARD_PAYMENTS_24H');
    this.chargeMaxMs = config.getOrThrow<number>('PROVIDER_TIMEOUT_MS');
  }

  /** `deadline`: when the sender stops waiting for the reply (ms since the epoch), if it said. */
  async pay(request: PaymentRequest, deadline?: number): Promise<PaymentReply> {
    const { orderId, userId, amountCents, currency, card } = request;
    const fingerprint = cardFingerprint(card.cardNumber);
    const payment = await this.payments.claim({
      orderId, userId, amountCents, currency, cardLast4: card.cardNumber.slice(-4), cardFingerprint: fingerprint,
    });
    // A redelivered request for a settled order gets the same answer and charges nothing; so does
    // a request for an order reconciled as voided before it came (its tombstone was claimed).
    // 'pending' and 'error' go on: the provider's answer is unknown, and asking again is safe.
    if (FINAL.includes(payment.status)) return toReply(payment);

    const problem = cardProblem(card);
    if (problem) return toReply(await this.payments.settle(payment.id, 'declined', undefined, problem));
    if (!(await this.fraudCheck(fingerprint))) {
      return toReply(await this.payments.settle(payment.id, 'declined', undefined, 'suspected_fraud'));
    }
    // Fix of orphaned-work: the request says when the gateway stops waiting (`x-deadline`). A
    // charge that may still be running then is not started: its outcome would reach nobody, and
    // the money would move after the client was answered. Voided instead (final: a redelivery
    // charges nothing), with why on the span, and replied while the gateway still listens.
    if (deadline !== undefined && (await this.flags.fixOn(SCENARIOS.orphanedWork))) {
      const leftMs = deadline - Date.now();
      trace.getActiveSpan()?.setAttribute('traceshop.deadline.left_ms', leftMs);
      if (leftMs < this.chargeMaxMs) {
        trace.getActiveSpan()?.addEvent('charge not started: the deadline comes first', { 'traceshop.deadline.left_ms': leftMs, 'traceshop.charge.max_ms': this.chargeMaxMs });
        return toReply(await this.payments.settle(payment.id, 'voided', undefined, 'deadline_too_short'));
      }
    }

    let charge: ChargeLookup;
    try {
      charge = await inSpan(tracer, 'payment.charge', {}, async (span) => {
        const result = await this.provider.charge({ amountCents, currency, ...card, reference: orderId }, orderId);
        span.setAttribute('traceshop.payment.status', result.status);
        if (result.chargeId) span.setAttribute('traceshop.charge.id', result.chargeId);
        if (result.declineCode) span.setAttribute('traceshop.payment.decline_code', result.declineCode);
        // A declined charge is the outcome the checkout failed on: marked so it stands out. So is
        // a voided one: the order was reconciled as never charged while this request waited.
        if (result.status === 'declined') span.setStatus({ code: SpanStatusCode.ERROR, message: `declined: ${result.declineCode ?? 'unknown'}` });
        if (result.status === 'voided') span.setStatus({ code: SpanStatusCode.ERROR, message: 'voided: the order was reconciled as not charged' });
        return result;
      });
    } catch (e) {
      // The provider-unreachable fix refused the call without sending it: nothing was charged,
      // and nothing will be (this row is final), so the checkout can be told so at once.
      if (e instanceof CircuitOpenError) return toReply(await this.payments.settle(payment.id, 'voided', undefined, 'provider_unreachable'));
      // Replied at once (no throw, no dead letter), so the gateway answers quickly instead of
      // waiting for its own timeout. The outcome is unknown (a timeout may still have charged),
      // so 'error' is not final: a retry of the order asks again with the same Idempotency-Key.
      return toReply(await this.payments.settle(payment.id, 'error'), (e as Error).message);
    }
    // A voided charge settles as voided, or finds the row a reconcile already voided: never approved.
    return toReply(await this.payments.settle(payment.id, charge.status, charge.chargeId, charge.declineCode));
  }

  /**
   * `payment.reconcile`: the settled outcome of an order's payment, for a caller whose payment
   * request timed out or got `error`. What payment knows for sure it answers; what it does not
   * (pending, error) it asks the provider with the same Idempotency-Key and settles. An order it
   * has never seen is voided, so a request for it that is still on its way charges nothing.
   * `unknown` (the row unchanged) when the provider cannot be asked: the caller tries later.
   */
  reconcile(orderId: string): Promise<PaymentOutcome> {
    return inSpan(tracer, 'payment.reconcile', {}, async (span) => {
      span.setAttribute('traceshop.order.id', orderId);
      const outcome = await this.settleUnknown(await this.payments.voidUnlessClaimed(orderId));
      span.setAttribute('traceshop.payment.status', outcome.status);
      if (outcome.status === 'unknown') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
      return outcome;
    });
  }

  async find(orderId: string): Promise<PaymentView> {
    const payment = await this.payments.findByOrderId(orderId);
    if (!payment) throw new NotFoundException('no payment for this order');
    const { status, amountCents, cardLast4 } = payment;
    return { orderId, status, amountCents, cardLast4 };
  }

  /** Asks the provider about a payment whose outcome payment does not know, and records the answer. */
  private async settleUnknown(payment: Payment): Promise<PaymentOutcome> {
    if (FINAL.includes(payment.status)) return toOutcome(payment);
    let found: ChargeLookup;
    try {
      found = await this.provider.lookup(payment.orderId);
    } catch (e) {
      return { orderId: payment.orderId, status: 'unknown', reason: (e as Error).message };
    }
    return toOutcome(await this.payments.settle(payment.id, found.status, found.chargeId, found.declineCode));
  }

  /** `payment.fraud_check`: a card used for too many payments in a day is not charged. */
  private fraudCheck(fingerprint: string): Promise<boolean> {
    return inSpan(tracer, 'payment.fraud_check', {}, async (span) => {
      const recent = await this.payments.countRecentByCard(fingerprint);
      // Scenario slow-checkout: the new velocity rule, in shadow mode (recorded, not yet
      // enforced), counts the card's payments in five windows, from an hour to 90 days, in an
      // archive with no index on the card. In the trace it is the slowest query by far, a
      // `SELECT … FROM fraud_history` of most of a second under this span.
      if (await this.flags.isOn(SCENARIOS.slowCheckout)) {
        for (const { window, attempts } of await this.history.velocity(fingerprint)) {
          span.setAttribute(`traceshop.fraud.card_attempts_${window}`, attempts);
        }
      }
      const allowed = recent <= this.fraudLimit;
      span.setAttributes({ 'traceshop.fraud.card_payments_24h': recent, 'traceshop.fraud.decision': allowed ? 'allow' : 'decline' });
      return allowed;
    });
  }
}

/** The reply for the payment as stored; `reason` is the decline code, or why it failed. */
function toReply(payment: Payment, errorReason?: string): PaymentReply {
  const reason = payment.declineCode ?? (payment.status === 'error' ? errorReason : undefined);
  return { orderId: payment.orderId, paymentId: payment.id, status: payment.status as PaymentReply['status'], ...(reason ? { reason } : {}) };
}

/** A settled payment as the reconcile answer; `reason` is the decline code. */
function toOutcome(payment: Payment): PaymentOutcome {
  const status = payment.status as PaymentOutcome['status'];
  return { orderId: payment.orderId, status, ...(payment.declineCode ? { reason: payment.declineCode } : {}) };
}
