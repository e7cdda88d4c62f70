import { ExecutionContext, Injectable } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import type { Response } from 'express';
import { RateLimitName, RateLimits } from './rate-limits';

/**
 * Nest's throttler guard, for the limits the route names with `@RateLimits` (rate-limits.ts).
 * Over a limit, the request ends here with 429, `Retry-After` (seconds until it is let through)
 * and the JSON error body, before any other service is called: its trace is the gateway's short
 * server span (and the Redis call that counted it), carrying which limit fired.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const name = request.throttler.name as RateLimitName;
    if (!this.reflector.get(RateLimits, request.context.getHandler())?.includes(name)) return true;
    try {
      return await super.handleRequest(request);
    } catch (e) {
      if (e instanceof ThrottlerException) {
        // Which limit, never whom it counts (an email, an address): that stays out of spans.
        trace.getActiveSpan()?.setAttributes({
          'traceshop.ratelimit.name': name,
          'traceshop.ratelimit.limit': request.limit,
          'traceshop.ratelimit.window_s': request.ttl / 1000,
        });
      }
      throw e;
    }
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    trace.getActiveSpan()?.setAttribute('traceshop.ratelimit.retry_after_s', retryAfter);
    throw new ThrottlerException(`too many attempts; try again in ${retryAfter} s`);
  }
}
