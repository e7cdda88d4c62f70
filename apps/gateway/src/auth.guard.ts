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
    const token = bearerToken(request);
    const session = await this.auth.introspect(token);
    if (!session.active || !session.userId) throw new UnauthorizedException('the token is invalid or expired');
    request.user = { userId: session.userId, email: session.email ?? '' };
    trace.getActiveSpan()?.setAttribute('enduser.id', session.userId);
    return true;
  }
}

/** The request's bearer token; 401 when there is none. */
function bearerToken(request: Request): string {
  const [scheme, token] = (request.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token || token.length > 512) {
    throw new UnauthorizedException('a bearer token is required');
  }
  return token;
}

/** The bearer token of the request (use with AuthGuard, which has checked it), e.g. to end its session. */
export const BearerToken = createParamDecorator((_: unknown, context: ExecutionContext) => bearerToken(context.switchToHttp().getRequest<Request>()));

/** The authenticated user of the request (use with AuthGuard). */
export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<{ user: User }>().user,
);
