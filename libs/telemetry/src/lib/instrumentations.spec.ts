import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INSTRUMENTATION_NAMES } from './instrumentations';

const ROOT = join(__dirname, '../../../..');

// A fresh process per case: the bundle reads the OTEL_NODE_* variables from process.env, and
// constructing an instrumentation patches its module. The child prints what it got.
const CHILD = `
  const list = require(${JSON.stringify(join(__dirname, 'instrumentations.ts'))}).instrumentations();
  const out = list.map((i) => {
    const c = i.getConfig();
    return {
      name: i.instrumentationName.replace('@opentelemetry/instrumentation-', ''),
      ignoreLayersType: c.ignoreLayersType,
      requireParentSpan: c.requireParentSpan,
      useLinksForConsume: c.useLinksForConsume,
      disableLogSending: c.disableLogSending,
      ignoresHealth: c.ignoreIncomingRequestHook && [c.ignoreIncomingRequestHook({ url: '/health/ready' }), c.ignoreIncomingRequestHook({ url: '/api/checkout' })],
    };
  });
  for (const i of list) i.disable();
  // The packages of instrumentations and resource detectors actually read from node_modules.
  const loaded = Object.keys(require.cache).map((f) => f.split('node_modules/@opentelemetry/')[1]?.split('/')[0]).filter((p) => /^(instrumentation|resource-detector)-/.test(p || ''));
  console.log(JSON.stringify({ constructed: out, loaded: [...new Set(loaded)].sort() }));
`;

interface Constructed {
  name: string;
  ignoreLayersType?: string[];
  requireParentSpan?: boolean;
  useLinksForConsume?: boolean;
  disableLogSending?: boolean;
  ignoresHealth?: [boolean, boolean];
}

/** What `instrumentations()` constructs, and which packages it loads, in a process with `env` (and none of the caller's OTEL_* variables). */
async function run(env: Record<string, string> = {}): Promise<{ constructed: Constructed[]; loaded: string[] }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && !k.startsWith('TRACESHOP_')));
  const { stdout } = await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', '-e', CHILD], { cwd: ROOT, env: { ...base, ...env } });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}
const constructed = async (env: Record<string, string> = {}) => (await run(env)).constructed;
const names = async (env: Record<string, string> = {}) => (await constructed(env)).map((i) => i.name).sort();

// No nestjs-core: its two spans per request only repeated the server span (instrumentations.ts).
const SEVEN = ['amqplib', 'express', 'http', 'ioredis', 'pg', 'pino', 'undici'];

describe('instrumentations', () => {
  it('are the seven libraries TraceShop uses, and none of the bundle`s others, by default', async () => {
    expect(await names()).toEqual(SEVEN);
    expect([...INSTRUMENTATION_NAMES].sort()).toEqual(SEVEN);
    // Empty is unset for the bundle too (not "all of them").
    expect(await names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: '' })).toEqual(SEVEN);
  });

  it('are configured as TraceShop needs them', async () => {
    const byName = Object.fromEntries((await constructed()).map((i) => [i.name, i]));
    expect(byName.http.ignoresHealth).toEqual([true, false]); // /health/* is not traced, /api/* is
    expect(byName.pg.requireParentSpan).toBe(true); // no lone pool-connect or migration traces
    expect(byName.ioredis.requireParentSpan).toBe(true);
    expect(byName.pino.disableLogSending).toBe(true); // trace ids in the lines, lines stay on stdout
    expect(byName.amqplib.useLinksForConsume).toBe(false); // consumers are children of the publisher
    expect(byName.express.ignoreLayersType?.sort()).toEqual(['middleware', 'request_handler', 'router']);
  });

  it('follow TRACESHOP_EXPRESS_SPANS and TRACESHOP_AMQP_CONSUME_LINKS', async () => {
    const byName = Object.fromEntries((await constructed({ TRACESHOP_EXPRESS_SPANS: 'true', TRACESHOP_AMQP_CONSUME_LINKS: 'true' })).map((i) => [i.name, i]));
    expect(byName.express.ignoreLayersType).toEqual(['middleware']);
    expect(byName.amqplib.useLinksForConsume).toBe(true);
  });

  it('are loaded alone: the bundle`s other packages are not even read (~270 modules, ~14 MiB per service)', async () => {
    expect((await run()).loaded).toEqual(SEVEN.map((n) => `instrumentation-${n}`));
    // express too: our configuration imports its ExpressLayerType.
    expect((await run({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,dns' })).loaded).toEqual(['instrumentation-dns', 'instrumentation-express', 'instrumentation-http']);
  });

  it('keep only those named in OTEL_NODE_ENABLED_INSTRUMENTATIONS', async () => {
    expect(await names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,http' })).toEqual(['http', 'pg']);
    // The bundle's own rule: naming one of its others turns it on (here dns, off by default).
    expect(await names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, dns' })).toEqual(['dns', 'http']);
    // ... and so brings Nest's request-context and handler spans back.
    expect(await names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,nestjs-core' })).toEqual(['http', 'nestjs-core']);
  });

  it('leave out those named in OTEL_NODE_DISABLED_INSTRUMENTATIONS, also after OTEL_NODE_ENABLED_INSTRUMENTATIONS', async () => {
    expect(await names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino' })).toEqual(SEVEN.filter((n) => n !== 'pino'));
    expect(await names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,express', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' })).toEqual(['express', 'http']);
    expect(await names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: INSTRUMENTATION_NAMES.join(',') })).toEqual([]); // the benchmark's "-no-all"
  });
});
