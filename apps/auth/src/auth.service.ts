import { ConflictException, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { trace } from '@opentelemetry/api';
import type { IntrospectResponse, SessionView, UserView } from '@traceshop/contracts';
import { hashPassword, verifyPassword } from './password';
import { SessionsStore } from './sessions.store';
import { UsersRepository } from './users.repository';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsStore,
    private readonly config: ConfigService,
  ) {}

  async register(email: string, password: string): Promise<UserView> {
    const user = await this.users.insert(email, await hashPassword(password));
    if (!user) throw new ConflictException('email already registered');
    return user;
  }

  async login(email: string, password: string): Promise<SessionView> {
    const user = await this.users.findByEmail(email);
    // The same answer for an unknown email and a wrong password: no account enumeration.
    if (!user || !(await verifyPassword(password, user.passwordHash))) {
      throw new UnauthorizedException('invalid email or password');
    }
    const ttl = this.config.getOrThrow<number>('TOKEN_TTL_SECONDS');
    const accessToken = await this.sessions.create({ userId: user.id, email: user.email }, ttl);
    return { accessToken, tokenType: 'Bearer', expiresIn: ttl };
  }

  async introspect(token: string): Promise<IntrospectResponse> {
    const session = await this.sessions.find(token);
    // enduser.id is the semantic-convention attribute for who made the request.
    if (session) trace.getActiveSpan()?.setAttribute('enduser.id', session.userId);
    return session ? { active: true, ...session } : { active: false };
  }
}
