import { Inject, Injectable } from '@nestjs/common';
import { SCENARIOS, type Product } from '@traceshop/contracts';
import { Flags, REDIS } from '@traceshop/platform';
import type Redis from 'ioredis';

const KEY = 'products';

/**
 * The product list in Redis (one JSON value, with a TTL). A read that races a stock change can
 * put an older list back right after it was invalidated; the TTL bounds how long that lasts.
 */
@Injectable()
export class ProductsCache {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly flags: Flags,
  ) {}

  async get(): Promise<Product[] | undefined> {
    const value = await this.redis.get(KEY);
    return value ? (JSON.parse(value) as Product[]) : undefined;
  }

  async set(products: Product[], ttlSeconds: number): Promise<void> {
    // Scenario cache-stampede: the write is skipped, so the cache stays empty and every
    // GET /products reads Redis, misses and asks Postgres. In the traces: a Redis `get` and no
    // `set` under each request, then the same product `SELECT`, again and again, at once.
    // Fix fix.cache-stampede: the write is back (skipping it was the bug), and
    // InventoryService.products shares one read among the requests that miss together.
    if ((await this.flags.isOn(SCENARIOS.cacheStampede)) && !(await this.flags.fixOn(SCENARIOS.cacheStampede))) return;
    await this.redis.set(KEY, JSON.stringify(products), 'EX', ttlSeconds);
  }

  async invalidate(): Promise<void> {
    await this.redis.del(KEY);
  }
}
