import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { context, propagation, trace } from '@opentelemetry/api';
import { SCENARIOS, type Product, type Reservation, type ReservationRequest } from '@traceshop/contracts';
import { Flags, inSpan } from '@traceshop/platform';
import { InventoryRepository } from './inventory.repository';
import { ProductsCache } from './products.cache';

const tracer = trace.getTracer('inventory');

@Injectable()
export class InventoryService {
  constructor(
    private readonly repository: InventoryRepository,
    private readonly cache: ProductsCache,
    private readonly config: ConfigService,
    private readonly flags: Flags,
  ) {}

  /** The catalogue read under way, shared by the requests that arrive meanwhile (fix.cache-stampede). */
  private reading?: Promise<{ products: Product[]; hit: boolean }>;

  /** The catalogue, read through the Redis cache: a hit shows no Postgres span in the trace. */
  async products(): Promise<Product[]> {
    const span = trace.getActiveSpan();
    let read: Promise<{ products: Product[]; hit: boolean }>;
    // Fix fix.cache-stampede: a single flight. Requests that come while a read is under way wait
    // for it instead of each asking Redis and then Postgres; with the cache written again (see
    // ProductsCache.set), a burst after an expiry loads the list once. In the traces, one request
    // has the Redis and Postgres spans; the others have none and `traceshop.cache.coalesced`.
    if (await this.flags.fixOn(SCENARIOS.cacheStampede)) {
      span?.setAttribute('traceshop.cache.coalesced', this.reading !== undefined);
      read = this.reading ??= this.readThrough().finally(() => (this.reading = undefined));
    } else {
      read = this.readThrough();
    }
    const { products, hit } = await read;
    span?.setAttribute('traceshop.cache.hit', hit);
    return products;
  }

  private async readThrough(): Promise<{ products: Product[]; hit: boolean }> {
    const cached = await this.cache.get();
    if (cached) return { products: cached, hit: true };
    const products = await this.repository.products();
    await this.cache.set(products, this.config.getOrThrow<number>('PRODUCT_CACHE_TTL_SECONDS'));
    return { products, hit: false };
  }

  /** One product, straight from Postgres: cart prices an item with it, so it must be current. */
  async product(sku: string): Promise<Product> {
    const product = await this.repository.product(sku);
    if (!product) throw new NotFoundException(`unknown sku ${sku}`);
    return product;
  }

  /** Holds stock for an order: all items or none. `created` is false for a repeated orderId. */
  async reserve(request: ReservationRequest): Promise<{ reservation: Reservation; created: boolean }> {
    // The same sku twice in one request is one line with the summed quantity.
    const quantities = new Map<string, number>();
    for (const { sku, quantity } of request.items) quantities.set(sku, (quantities.get(sku) ?? 0) + quantity);

    // A named span around the transaction, so its row-lock waits and queries group under one step.
    const outcome = await inSpan(tracer, 'inventory.reserve', { attributes: { 'traceshop.order.id': request.orderId } }, async (span) => {
      // Kept with the reservation, so the sweeper that may expire it long after links back here.
      const traceContext: Record<string, string> = {};
      propagation.inject(context.active(), traceContext);
      const answer = await this.repository.reserve(request.orderId, quantities, traceContext);
      span.setAttribute('traceshop.reservation.result', answer.result);
      if (answer.result === 'insufficient_stock') span.setAttribute('traceshop.product.sku', answer.sku);
      if ('reservation' in answer) span.setAttribute('traceshop.reservation.id', answer.reservation.reservationId);
      if (answer.result === 'held') await this.cache.invalidate(); // availability changed
      return answer;
    });
    // 404 and 409 are answers, not failures of this service: thrown once the span has ended well.
    if (outcome.result === 'unknown_sku') throw new NotFoundException(`unknown sku ${outcome.sku}`);
    if (outcome.result === 'insufficient_stock') throw new ConflictException(`insufficient stock for ${outcome.sku}`);
    return { reservation: outcome.reservation, created: outcome.result === 'held' };
  }

  /** The status of the order's reservation, if it has one. */
  reservationStatus(orderId: string): Promise<Reservation['status'] | undefined> {
    return this.repository.statusOf(orderId);
  }

  /**
   * Settles the order's reservation after payment, or releases an expired one (the sweeper).
   * Returns false when there was nothing held (a redelivered event, an order that never
   * reserved, or one the other side settled first).
   */
  async settle(orderId: string, status: 'committed' | 'released'): Promise<boolean> {
    const changed = await this.repository.settle(orderId, status);
    // Committing lowers on_hand and reserved alike, so only a release changes availability.
    if (changed && status === 'released') await this.cache.invalidate();
    return changed;
  }
}
