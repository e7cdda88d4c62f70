import { Inject, Injectable } from '@nestjs/common';
import type { CartItem } from '@traceshop/contracts';
import { REDIS } from '@traceshop/platform';
import type Redis from 'ioredis';

/** One cart per user: a Redis hash `cart:<userId>` whose fields are skus, values `{quantity, unitPriceCents}`. */
@Injectable()
export class CartStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async items(userId: string): Promise<CartItem[]> {
    const fields = await this.redis.hgetall(key(userId));
    return Object.entries(fields)
      .map(([sku, value]) => ({ sku, ...(JSON.parse(value) as Omit<CartItem, 'sku'>) }))
      .sort((a, b) => a.sku.localeCompare(b.sku));
  }

  async put(userId: string, { sku, quantity, unitPriceCents }: CartItem, ttlSeconds: number): Promise<void> {
    // One round trip (MULTI): the item and the cart's new expiry are written together.
    await this.redis.multi().hset(key(userId), sku, JSON.stringify({ quantity, unitPriceCents })).expire(key(userId), ttlSeconds).exec();
  }

  async remove(userId: string, sku: string): Promise<void> {
    await this.redis.hdel(key(userId), sku);
  }

  async clear(userId: string): Promise<void> {
    await this.redis.del(key(userId));
  }
}

const key = (userId: string) => `cart:${userId}`;
