import { ConflictException, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { trace } from '@opentelemetry/api';
import type { IntrospectResponse, SessionView, UserView } from '@traceshop/contracts';
import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from './password';
import { Session, SessionsStore } from './sessions.store';
import { UsersRepository } from './users.repository';

@Injectable()
export class AuthService {
  /**
   * What an unknown email's password is checked against: a hash made the same way as every
   * user's, of a password nobody knows, so that a login costs one scrypt whether or not the email
   * has an account (otherwise the answer's time tells: ~80 ms against ~15 ms).
   */
  private readonly dummyHash = hashPassword(randomBytes(32).toString('base64'));

  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsStore,
    private readonly config: ConfigService,
  ) {}

  /** An email already taken is a 409: without an email to the address, the API can tell its owner no other way (README). */
  async register(email: string, password: string): Promise<UserView> {
    const user = await this.users.insert(email, await hashPassword(password));
    if (!user) throw new ConflictException('email already registered');
    return user;
  }

  async login(email: string, password: string): Promise<SessionView> {
    const user = await this.users.findByEmail(email);
    // The same work and the same answer for an unknown email and a wrong password: no account enumeration.
    const matches = await verifyPassword(password, user?.passwordHash ?? (await this.dummyHash));
    if (!user || !matches) throw new UnauthorizedException('invalid email or password');
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

  /** Ends the token's session; an unknown token has nothing to end. */
  async logout(token: string): Promise<void> {
    const session = await this.sessions.find(token);
    if (session) await this.sessions.end(token, session);
  }

  /** Ends every session of the token's user, this one included. */
  async logoutEverywhere(token: string): Promise<void> {
    const session = await this.activeSession(token);
    await this.sessions.endAll(session.userId);
  }

  /** A new password ends every session of the user: whoever else held one must log in with it. */
  async changePassword(token: string, currentPassword: string, newPassword: string): Promise<void> {
    const session = await this.activeSession(token);
    const user = await this.users.findById(session.userId);
    if (!user || !(await verifyPassword(currentPassword, user.passwordHash))) throw new ForbiddenException('the current password is wrong');
    await this.users.setPasswordHash(user.id, await hashPassword(newPassword));
    await this.sessions.endAll(user.id);
  }

  private async activeSession(token: string): Promise<Session> {
    const session = await this.sessions.find(token);
    if (!session) throw new UnauthorizedException('the token is invalid or expired');
    trace.getActiveSpan()?.setAttribute('enduser.id', session.userId);
    return session;
  }
}
