import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Link, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { inSpan } from '@traceshop/platform';
import { CheckoutService } from './checkout.service';
import { CheckoutsRepository } from './checkouts.repository';

const tracer = trace.getTracer('gateway');

/**
 * Finishes the checkouts whose clients never came back: every RECONCILE_INTERVAL_MS it takes
 * the open checkouts nobody has touched for RECONCILE_AFTER_MS and settles each one
 * (CheckoutService.reconcile). Each is its own trace, a `checkout.reconcile` root span linked
 * to the trace of the request that started the checkout; the order event it may write is
 * published in this trace, so cart's and inventory's work shows up under it.
 */
@Injectable()
export class CheckoutReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CheckoutReconciler.name);
  private readonly intervalMs: number;
  private readonly idleMs: number;
  private readonly leaseMs: number;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly checkouts: CheckoutsRepository,
    private readonly service: CheckoutService,
    config: ConfigService,
  ) {
    this.intervalMs = config.getOrThrow<number>('RECONCILE_INTERVAL_MS');
    this.idleMs = config.getOrThrow<number>('RECONCILE_AFTER_MS');
    // Long enough for one question to payment (which may ask the provider).
    this.leaseMs = config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS') * 2 + 5_000;
  }

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.round()
        .catch((e) => this.logger.warn(`reconciler: ${(e as Error).message}`))
        .finally(() => (this.busy = false));
    }, this.intervalMs);
  }

  onApplicationShutdown() {
    clearInterval(this.timer);
  }

  /** One pass over the abandoned checkouts; resolves with how many it finished. */
  async round(): Promise<number> {
    let finished = 0;
    for (const orderId of await this.checkouts.abandoned(this.idleMs)) {
      if (await this.reconcileOne(orderId)) finished++;
    }
    return finished;
  }

  private async reconcileOne(orderId: string): Promise<boolean> {
    const started = await this.checkouts.find(orderId);
    if (!started) return false;
    const startContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, started.traceContext));
    const links: Link[] = startContext ? [{ context: startContext, attributes: { 'traceshop.link': 'checkout.start' } }] : [];
    const attributes = { 'traceshop.order.id': orderId, 'traceshop.checkout.state_before': started.state };
    return inSpan(tracer, 'checkout.reconcile', { root: true, links, attributes }, async (span) => {
      const now = await this.service.reconcile(orderId, this.leaseMs);
      if (!now) return false; // someone (a client's retry) holds it: theirs
      span.setAttribute('traceshop.checkout.state', now.state);
      if (now.state !== started.state) this.logger.log(`checkout ${orderId}: ${started.state} → ${now.state} (reconciled)`);
      return now.state !== started.state;
    }).catch((e: Error) => {
      this.logger.warn(`checkout ${orderId}: not reconciled yet: ${e.message}`); // on its span too; the next round tries again
      return false;
    });
  }
}
