import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@traceshop/platform';
import type Redis from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';

export interface Session {
  userId: string;
  email: string;
}

/**
 * Opaque access tokens. Redis keeps only the token's SHA-256, so neither a Redis dump nor the
 * ioredis span's `db.query.text` ever shows a usable token.
 */
@Injectable()
export class SessionsStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async create(session: Session, ttlSeconds: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(key(token), JSON.stringify(session), 'EX', ttlSeconds);
    return token;
  }

  async find(token: string): Promise<Session | undefined> {
    const value = await this.redis.get(key(token));
    return value ? (JSON.parse(value) as Session) : undefined;
  }
}

const key = (token: string) => `session:${createHash('sha256').update(token).digest('hex')}`;
