import { Inject, Injectable } from '@nestjs/common';
import type { Product } from '@traceshop/contracts';
import { REDIS } from '@traceshop/platform';
import type Redis from 'ioredis';

const KEY = 'products';

/**
 * The product list in Redis (one JSON value, with a TTL). A read that races a stock change can
 * put an older list back right after it was invalidated; the TTL bounds how long that lasts.
 */
@Injectable()
export class ProductsCache {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async get(): Promise<Product[] | undefined> {
    const value = await this.redis.get(KEY);
    return value ? (JSON.parse(value) as Product[]) : undefined;
  }

  async set(products: Product[], ttlSeconds: number): Promise<void> {
    await this.redis.set(KEY, JSON.stringify(products), 'EX', ttlSeconds);
  }

  async invalidate(): Promise<void> {
    await this.redis.del(KEY);
  }
}
