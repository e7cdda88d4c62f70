import { REDACTED, SECRET_KEY_RULES, SECRET_VALUE_RULES } from '@traceshop/telemetry';
import { NodeChild, repoRoot, startNodeChild, waitFor } from '@traceshop/testing';
import { join } from 'node:path';

// The LoggingModule as a service has it, in a child process (pino writes to the process's stdout,
// file descriptor 1): a Nest app logs a field under every secret name, a message and an error with
// every secret shape, and logs a request carrying secret headers. Its output must hold none of them.
const SECRET = (i: number) => `s3cr3t-value-${i}`;
const FIELDS = Object.fromEntries(SECRET_KEY_RULES.map(({ example }, i) => [example, SECRET(i)]));
const SHAPES = SECRET_VALUE_RULES.map((r) => r.example).join(', ');

const CHILD = `
  const { Logger, Module } = require('@nestjs/common');
  const { ConfigModule } = require('@nestjs/config');
  const { NestFactory } = require('@nestjs/core');
  const { Logger: PinoLogger } = require('nestjs-pino');
  const { LoggingModule } = require(${JSON.stringify(join(__dirname, 'logging.module.ts'))});
  class AppModule {}
  Module({ imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }), LoggingModule] })(AppModule);
  (async () => {
    const app = await NestFactory.create(AppModule, { bufferLogs: true });
    app.useLogger(app.get(PinoLogger));
    await app.listen(0, '127.0.0.1');
    const logger = new Logger('probe');
    logger.log({ ...${JSON.stringify(FIELDS)}, probe: 'fields' });
    logger.log('paid with ${SHAPES}');
    logger.error(new Error('declined: ${SHAPES}'));
    process.stderr.write('ready ' + app.getHttpServer().address().port + '\\n');
  })().catch((e) => { console.error(e); process.exit(1); });
`;

describe('LoggingModule', () => {
  let child: NodeChild;

  beforeAll(async () => {
    child = startNodeChild(CHILD, {
      // tsx finds @traceshop/telemetry through the workspace's paths.
      env: { ...process.env, TSX_TSCONFIG_PATH: join(repoRoot(), 'tsconfig.base.json'), LOG_LEVEL: 'info' },
      ready: /^ready (\d+)$/m,
    });
    const [, port] = await child.ready;
    const res = await fetch(`http://127.0.0.1:${port}/nowhere?page=2`, {
      headers: { authorization: 'Bearer abc.def-123', cookie: 'sid=s3cr3t-cookie', 'x-api-key': 's3cr3t-api-key', 'x-probe': 'kept' },
    });
    expect(res.status).toBe(404);
    await waitFor(async () => child.stdout(), (out) => out.includes('"x-probe":"kept"'), { what: 'the request`s log line' });
  }, 60_000);

  afterAll(() => child?.stop());

  const stdout = () => child.stdout();
  const lines = () => stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l));

  it('writes no secret of any rule: not a name`s value, not a shape in a message or a stack', () => {
    for (const [i, { example }] of SECRET_KEY_RULES.entries()) expect([example, stdout().includes(SECRET(i))]).toEqual([example, false]);
    for (const { name, example } of SECRET_VALUE_RULES) expect([name, stdout().includes(example)]).toEqual([name, false]);
    const probe = lines().find((l) => l.probe === 'fields');
    expect(probe).toMatchObject(Object.fromEntries(SECRET_KEY_RULES.map(({ example }) => [example, REDACTED])));
    expect(lines().find((l) => l.msg?.startsWith('paid with'))?.msg).toBe(`paid with ${SECRET_VALUE_RULES.map(() => REDACTED).join(', ')}`);
    expect(stdout()).toContain(`declined: ${REDACTED}`);
  });

  it('blanks the secret headers of a request`s line, and keeps the rest of it', () => {
    const request = lines().find((l) => l.req?.headers?.['x-probe'] === 'kept');
    expect(request.req.headers).toMatchObject({ authorization: REDACTED, cookie: REDACTED, 'x-api-key': REDACTED });
    expect(request.req.url).toBe('/nowhere?page=2');
    expect(request.res.statusCode).toBe(404);
    for (const secret of ['abc.def-123', 's3cr3t-cookie', 's3cr3t-api-key']) expect(stdout()).not.toContain(secret);
  });
});
