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

  /**
   * Takes the lines of a paid order out of the cart, each only if it is still exactly as it was
   * ordered. The order event can come long after the checkout (the outbox holds it through a
   * broker outage), when the user may have changed the cart for the next order: those lines stay.
   * One Lua script, so a line is never changed between the comparison and the removal.
   */
  async removeOrdered(userId: string, items: CartItem[]): Promise<void> {
    const lines = items.flatMap(({ sku, quantity, unitPriceCents }) => [sku, JSON.stringify({ quantity, unitPriceCents })]);
    await this.redis.eval(REMOVE_UNCHANGED, 1, key(userId), ...lines);
  }
}

/** KEYS[1]: the cart; ARGV: sku, line, sku, line, ... — each field removed if it still holds that line. */
const REMOVE_UNCHANGED = `
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then redis.call('HDEL', KEYS[1], ARGV[i]) end
end`;

const key = (userId: string) => `cart:${userId}`;
