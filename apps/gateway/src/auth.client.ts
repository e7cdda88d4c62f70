import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Credentials, IntrospectResponse, SessionView, UserView } from '@traceshop/contracts';
import { ServiceClient } from '@traceshop/platform';

/** The gateway's view of the auth service. */
@Injectable()
export class AuthClient {
  private readonly auth: ServiceClient;

  constructor(config: ConfigService) {
    this.auth = new ServiceClient({ service: 'auth', baseUrl: config.getOrThrow<string>('AUTH_URL'), timeoutMs: config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS') });
  }

  register(body: Credentials) {
    return this.auth.call<UserView>('/users', { method: 'POST', body });
  }

  login(body: Credentials) {
    return this.auth.call<SessionView>('/sessions', { method: 'POST', body });
  }

  introspect(token: string) {
    return this.auth.call<IntrospectResponse>('/introspect', { method: 'POST', body: { token } });
  }

  logout(token: string) {
    return this.auth.call<void>('/logout', { method: 'POST', body: { token } });
  }

  logoutEverywhere(token: string) {
    return this.auth.call<void>('/logout-everywhere', { method: 'POST', body: { token } });
  }

  changePassword(token: string, body: { currentPassword: string; newPassword: string }) {
    return this.auth.call<void>('/password', { method: 'POST', body: { token, ...body } });
  }
}
