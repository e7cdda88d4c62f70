import { CanActivate, createParamDecorator, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import type { Request } from 'express';
import { AuthClient } from './auth.client';

/** Who is calling, as auth's introspection says. */
export interface User {
  userId: string;
  email: string;
}

/**
 * Requires `Authorization: Bearer <token>` and asks auth whether the token is active (the
 * "token check" child span of every authenticated request).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly auth: AuthClient) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & { user?: User }>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token || token.length > 512) {
      throw new UnauthorizedException('a bearer token is required');
    }
    const session = await this.auth.introspect(token);
    if (!session.active || !session.userId) throw new UnauthorizedException('the token is invalid or expired');
    request.user = { userId: session.userId, email: session.email ?? '' };
    trace.getActiveSpan()?.setAttribute('enduser.id', session.userId);
    return true;
  }
}

/** The authenticated user of the request (use with AuthGuard). */
export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<{ user: User }>().user,
);
