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
 * ioredis span's `db.query.text` ever shows a usable token. Each user's session keys are also in
 * a set (`user-sessions:<userId>`), so all of them can be ended at once (a password change, "log
 * out everywhere"); the set lives as long as the user's newest session.
 */
@Injectable()
export class SessionsStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async create(session: Session, ttlSeconds: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const sessions = userKey(session.userId);
    await this.redis
      .multi()
      .set(key(token), JSON.stringify(session), 'EX', ttlSeconds)
      .sadd(sessions, key(token))
      .expire(sessions, ttlSeconds)
      .exec();
    return token;
  }

  async find(token: string): Promise<Session | undefined> {
    const value = await this.redis.get(key(token));
    return value ? (JSON.parse(value) as Session) : undefined;
  }

  /** Ends one session: the token is unknown from the next request on. */
  async end(token: string, session: Session): Promise<void> {
    await this.redis.multi().del(key(token)).srem(userKey(session.userId), key(token)).exec();
  }

  /** Ends every session of the user. */
  async endAll(userId: string): Promise<void> {
    const keys = await this.redis.smembers(userKey(userId));
    // The set holds key names without REDIS_KEY_PREFIX (values are not prefixed); DEL adds it.
    await this.redis.multi().del(...keys, userKey(userId)).exec();
  }
}

const key = (token: string) => `session:${createHash('sha256').update(token).digest('hex')}`;
const userKey = (userId: string) => `user-sessions:${userId}`;
