import { Controller, Get, INestApplication, Module, UseGuards } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { createApp, LoggingModule } from '@traceshop/platform';
import { JsonClient, jsonClient, startStandIn } from '@traceshop/testing';
import { AuthClient } from './auth.client';
import { AuthGuard, CurrentUser, type User } from './auth.guard';

/**
 * auth's POST /introspect, played by a stand-in, by token: `user-<id>` is active for that user,
 * `expired` is what auth answers once a session's Redis key has expired (inactive), `ended` is
 * inactive though it names its user, `no-user` is active without one; `broken` gets a 500 with
 * auth's internals in it, `slow` no answer at all, `cut` a closed connection. `tokens` are those
 * auth was asked about.
 */
async function startAuth() {
  const tokens: string[] = [];
  const standIn = await startStandIn((req, res, raw) => {
    const answer = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    const { token } = JSON.parse(raw) as { token: string };
    tokens.push(token);
    if (req.url !== '/introspect') return answer(404, {});
    if (token.startsWith('user-')) return answer(200, { active: true, userId: token.slice(5), email: `${token}@example.com` });
    if (token === 'expired') return answer(200, { active: false });
    if (token === 'ended') return answer(200, { active: false, userId: 'mallory', email: 'mallory@example.com' });
    if (token === 'no-user') return answer(200, { active: true });
    if (token === 'broken') return answer(500, { message: 'TypeError: cannot read redis at SessionsStore.find (sessions.store.ts:42)' });
    if (token === 'slow') return; // held until the stand-in closes
    if (token === 'cut') return void req.socket.destroy();
    answer(200, { active: false });
  });
  return { ...standIn, tokens };
}

/** A route behind the guard that answers who the guard says is calling. */
@Controller('whoami')
@UseGuards(AuthGuard)
class WhoAmIController {
  @Get()
  whoami(@CurrentUser() user: User): User {
    return user;
  }
}

// The gateway's AuthGuard and AuthClient in-process, on the gateway's app set-up (createApp: its
// error filter), in front of a stand-in auth. The guard keeps no state of its own: auth's Redis
// sessions are behind /introspect, so the stand-in's answers are the whole story here.
describe('AuthGuard (gateway)', () => {
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let app: INestApplication;
  let client: JsonClient;
  const whoami = (headers: Record<string, string> = {}) => client.get('/whoami', headers);
  const asked = () => auth.tokens.length;

  beforeAll(async () => {
    auth = await startAuth();
    @Module({
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ AUTH_URL: auth.url, UPSTREAM_TIMEOUT_MS: 500, LOG_LEVEL: 'silent' })] }), LoggingModule],
      controllers: [WhoAmIController],
      providers: [AuthClient, AuthGuard],
    })
    class GuardedModule {}
    app = await createApp(GuardedModule);
    await app.listen(0, '127.0.0.1');
    client = jsonClient(await app.getUrl());
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
  });

  const unauthorized = (message: string) => ({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message } });
  const answer = ({ status, body }: { status: number; body: unknown }) => ({ status, body });

  it('lets a valid token through, with the user auth names, after asking auth about that token', async () => {
    const res = await whoami({ authorization: 'Bearer user-ada' });
    expect(answer(res)).toEqual({ status: 200, body: { userId: 'ada', email: 'user-ada@example.com' } });
    expect(auth.tokens.at(-1)).toBe('user-ada');
    expect((await whoami({ authorization: 'bearer user-grace' })).body.userId).toBe('grace'); // the scheme in any case
  });

  it('answers 401 JSON without asking auth when there is no bearer token', async () => {
    const before = asked();
    for (const authorization of [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpodW50ZXIy', 'user-ada', `Bearer ${'x'.repeat(513)}`]) {
      const res = await whoami(authorization === undefined ? {} : { authorization });
      expect([authorization, answer(res)]).toEqual([authorization, unauthorized('a bearer token is required')]);
    }
    expect(asked()).toBe(before);
  });

  it('answers 401 JSON to a token auth does not know, has expired or ended, or names no user for', async () => {
    for (const token of ['forged', 'expired', 'ended', 'no-user']) {
      expect([token, answer(await whoami({ authorization: `Bearer ${token}` }))]).toEqual([token, unauthorized('the token is invalid or expired')]);
    }
  });

  it('answers as the one failure mapping says when auth fails, never with auth`s internals or a stack', async () => {
    const failures = {
      broken: { status: 502, body: { statusCode: 502, error: 'Bad Gateway', message: 'auth failed' } },
      slow: { status: 504, body: { statusCode: 504, error: 'Gateway Timeout', message: 'auth did not answer in time' } },
      cut: { status: 502, body: { statusCode: 502, error: 'Bad Gateway', message: 'auth is unavailable' } },
    };
    for (const [token, expected] of Object.entries(failures)) {
      expect([token, answer(await whoami({ authorization: `Bearer ${token}` }))]).toEqual([token, expected]);
    }
  });

  it('answers 502 JSON when auth is down, and 401 still without asking it', async () => {
    await auth.close();
    expect(answer(await whoami({ authorization: 'Bearer user-ada' }))).toEqual({ status: 502, body: { statusCode: 502, error: 'Bad Gateway', message: 'auth is unavailable' } });
    expect(answer(await whoami())).toEqual(unauthorized('a bearer token is required'));
  });
});
