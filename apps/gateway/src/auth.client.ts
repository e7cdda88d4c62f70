import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Credentials, IntrospectResponse, SessionView, UserView } from '@traceshop/contracts';
import { upstream } from './upstream';

/** The gateway's view of the auth service. */
@Injectable()
export class AuthClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(config: ConfigService) {
    this.base = config.getOrThrow<string>('AUTH_URL');
    this.timeoutMs = config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS');
  }

  register(body: Credentials) {
    return upstream<UserView>({ service: 'auth', url: `${this.base}/users`, method: 'POST', body, timeoutMs: this.timeoutMs });
  }

  login(body: Credentials) {
    return upstream<SessionView>({ service: 'auth', url: `${this.base}/sessions`, method: 'POST', body, timeoutMs: this.timeoutMs });
  }

  introspect(token: string) {
    return upstream<IntrospectResponse>({ service: 'auth', url: `${this.base}/introspect`, method: 'POST', body: { token }, timeoutMs: this.timeoutMs });
  }
}
