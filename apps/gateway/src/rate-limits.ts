import type { ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';

/**
 * The limits of the front door, by name (the name is what a refused request's span says):
 *
 *   login-address     logins from one client address            LOGIN_LIMIT_PER_ADDRESS per window
 *   login-account     password tries for one account (login,    LOGIN_LIMIT_PER_ACCOUNT per window;
 *                     password change), known or not            over it, refused for a window
 *   login-lockout     the same tries over a longer time          LOGIN_LOCKOUT_AFTER per LOGIN_LOCKOUT_S;
 *                                                                over it, locked for LOGIN_LOCKOUT_S
 *   register-address  registrations from one client address     REGISTER_LIMIT_PER_ADDRESS per window
 *   checkout-user     checkout requests of one user             CHECKOUT_LIMIT_PER_USER per window
 *
 * A route names the limits it is under with `@RateLimits([...])` and `@UseGuards(RateLimitGuard)`.
 */
export type RateLimitName = 'login-address' | 'login-account' | 'login-lockout' | 'register-address' | 'checkout-user';

/** The limits a route is under (with RateLimitGuard). */
export const RateLimits = Reflector.createDecorator<RateLimitName[]>();

type Request = { ip?: string; body?: { email?: unknown }; user?: { userId: string; email: string } };

/** The address the request came from (Express's `req.ip`: behind TRUST_PROXY_HOPS proxies, from X-Forwarded-For). */
const byAddress = (req: Request) => req.ip ?? '';
/** The account a password is tried for: the authenticated user's, else the login's email as auth reads it. */
const byAccount = (req: Request) => req.user?.email ?? (typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '');
const byUser = (req: Request) => req.user?.userId ?? '';

/**
 * The throttler's options: every limit counted in Redis (REDIS, with its key prefix) so that all
 * gateway replicas share them. A key is a hash of the limit's name and whom it counts, so one
 * account's budget is the same on every route it is tried through, and no email or address is
 * written to Redis or shows in its spans as it is.
 */
export function rateLimitOptions(config: ConfigService, redis: Redis): ThrottlerModuleOptions {
  const window = config.getOrThrow<number>('RATE_LIMIT_WINDOW_S') * 1000;
  const limit = (name: RateLimitName, perWindow: number, getTracker: (req: Request) => string, ttl = window): ThrottlerOptions => ({
    name,
    limit: perWindow,
    ttl,
    blockDuration: ttl,
    getTracker: (req) => getTracker(req as Request),
  });
  return {
    throttlers: [
      limit('login-address', config.getOrThrow('LOGIN_LIMIT_PER_ADDRESS'), byAddress),
      limit('login-account', config.getOrThrow('LOGIN_LIMIT_PER_ACCOUNT'), byAccount),
      limit('login-lockout', config.getOrThrow('LOGIN_LOCKOUT_AFTER'), byAccount, config.getOrThrow<number>('LOGIN_LOCKOUT_S') * 1000),
      limit('register-address', config.getOrThrow('REGISTER_LIMIT_PER_ADDRESS'), byAddress),
      limit('checkout-user', config.getOrThrow('CHECKOUT_LIMIT_PER_USER'), byUser),
    ],
    storage: new ThrottlerStorageRedisService(redis),
    generateKey: (_: ExecutionContext, tracker: string, name: string) => createHash('sha256').update(`${name}:${tracker}`).digest('hex'),
    // Only Retry-After, set by RateLimitGuard: the throttler's own headers carry each limit's name.
    setHeaders: false,
  };
}
