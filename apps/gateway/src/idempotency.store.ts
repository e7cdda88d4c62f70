import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { REDIS } from '@traceshop/platform';
import type Redis from 'ioredis';

/** A finished checkout as the client saw it: replayed as is for the same Idempotency-Key. */
export interface StoredResult {
  status: number;
  body: unknown;
}

const PENDING = 'pending';

/**
 * Idempotency keys in Redis, per user. The first request claims the key; a repeat while it runs
 * gets 409, a repeat after it finished gets the stored result. A failed request frees the key
 * so the client can retry; the retry reuses the same order id, so nothing is charged twice.
 */
@Injectable()
export class IdempotencyStore {
  private readonly ttl: number;

  constructor(@Inject(REDIS) private readonly redis: Redis, config: ConfigService) {
    this.ttl = config.getOrThrow<number>('IDEMPOTENCY_TTL_SECONDS');
  }

  /** Claims the key; returns the stored result when the key was used before. */
  async claim(userId: string, key: string): Promise<StoredResult | undefined> {
    const claimed = await this.redis.set(this.key(userId, key), PENDING, 'EX', this.ttl, 'NX');
    if (claimed) return undefined;
    const stored = await this.redis.get(this.key(userId, key));
    if (stored === PENDING) throw new ConflictException('a request with this Idempotency-Key is in progress');
    return stored ? (JSON.parse(stored) as StoredResult) : undefined;
  }

  complete(userId: string, key: string, result: StoredResult) {
    return this.redis.set(this.key(userId, key), JSON.stringify(result), 'EX', this.ttl);
  }

  release(userId: string, key: string) {
    return this.redis.del(this.key(userId, key));
  }

  private key(userId: string, key: string) {
    return `idempotency:${userId}:${key}`;
  }
}
