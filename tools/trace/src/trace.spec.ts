// `npm run trace` as people run it (tools/traceshop.sh trace), against a stand-in for Jaeger's
// query API that serves recorded traces: no stack needed.
import type { JaegerTrace } from '@traceshop/testing';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FIXTURES, trace } from './fixtures';

const ROOT = join(__dirname, '../../..');
const SERVED = [FIXTURES.normal, FIXTURES.slow, FIXTURES.poison, FIXTURES.orphans].map(trace);
const NORMAL = SERVED[0].traceID;
const SLOW = SERVED[1].traceID;
const POISON = SERVED[2].traceID;
const ORPHANS = SERVED[3].traceID;

// A trace still arriving: not there on the first request, then 10 of its spans, then all 27.
const ARRIVING = trace(FIXTURES.arriving);
let arrivingAsked = 0;
const arrivingNow = () => {
  arrivingAsked++;
  return arrivingAsked === 1 ? undefined : arrivingAsked === 2 ? { ...ARRIVING, spans: ARRIVING.spans.slice(0, 10) } : ARRIVING;
};

let server: Server;
let jaegerUrl: string;
/** What the CLI asked the stand-in. */
let asked: URL[] = [];

/** Jaeger's answer envelope. */
const envelope = (data: JaegerTrace[] | null, errors: { code: number; msg: string }[] | null = null) => ({ data, total: 0, limit: 0, offset: 0, errors });

/** Go durations as the CLI sends them, in µs. */
const micros = (d: string) => parseFloat(d) * ({ us: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 } as Record<string, number>)[/[a-z]+$/.exec(d)![0]];

/** Jaeger's search, simplified: a span of the service (and operation) with the tags and duration. */
function search(params: URLSearchParams): JaegerTrace[] {
  const tags = JSON.parse(params.get('tags') ?? '{}') as Record<string, string>;
  const min = params.get('minDuration');
  const found = SERVED.filter((t) =>
    t.spans.some(
      (s) =>
        t.processes[s.processID].serviceName === params.get('service') &&
        (!params.get('operation') || s.operationName === params.get('operation')) &&
        (!min || s.duration >= micros(min)) &&
        Object.entries(tags).every(([k, v]) => s.tags.some((tag) => tag.key === k && String(tag.value) === v)),
    ),
  );
  // In the order stored, not newest first: the CLI sorts.
  return found.slice(0, Number(params.get('limit') ?? 20));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://stand-in');
    asked.push(url);
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const one = /^\/api\/traces\/([0-9a-f]+)$/.exec(url.pathname);
    if (one) {
      const t = one[1] === ARRIVING.traceID ? arrivingNow() : SERVED.find((s) => s.traceID === one[1]);
      return t ? send(200, envelope([t])) : send(404, envelope(null, [{ code: 404, msg: 'trace not found' }]));
    }
    if (url.pathname === '/api/traces') return send(200, envelope(search(url.searchParams)));
    res.writeHead(404).end('404 page not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jaegerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => (asked = []));

/** Runs `npm run trace -- <args>` (without npm: the script it runs), piped, NO_COLOR. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  // Nx sets FORCE_COLOR for its children; with NO_COLOR too, node warns on stderr.
  const base = { ...process.env };
  delete base.FORCE_COLOR;
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['tools/traceshop.sh', 'trace', ...args],
      { cwd: ROOT, env: { ...base, TRACESHOP_JAEGER_URL: jaegerUrl, NO_COLOR: '1', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run trace <id>', () => {
  it('draws the waterfall of a checkout, plain', async () => {
    const { code, stdout, stderr } = await run([NORMAL]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^trace c2f3b870455b384adc8a2cb60b564925 {2}gateway POST \/api\/checkout\n2026-12-01 14:59:08\.283 UTC · 180\.4ms · 71 spans · 6 services\n/);
    // eslint-disable-next-line no-control-regex
    expect(stdout).not.toMatch(/\u001b\[/);
    // 100 columns when piped: a 30-cell timeline, full for the root.
    expect(stdout).toMatch(/^\s+\+0\.0ms\s+178\.8ms\s+2\.1ms {2}█{30} {2}gateway\s+POST \/api\/checkout$/m);
    expect(stdout).toMatch(/^\s+\+88\.0ms\s+17\.0ms\s+2\.6ms\s+█+\s+payment-provider\s+│ {5}│ {5}└─ POST \/charges$/m);
    expect(stdout).toMatch(/└─ inventory\.reserve {2}flag lock-contention=off$/m);
    // Two lines of header, a blank one, the column header, a line per span.
    expect(stdout.trimEnd().split('\n')).toHaveLength(3 + 1 + 71);
    expect(asked.map((u) => u.pathname)).toEqual([`/api/traces/${NORMAL}`]);
  });

  it('marks the critical path and totals it per service', async () => {
    const { code, stdout } = await run([NORMAL, '--critical-path']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\* +\+0\.0ms .*gateway\s+POST \/api\/checkout$/m);
    expect(stdout).toMatch(/^ {2}\s*\+46\.0ms .*payment\s+│ {2}└─ payment\.requests process/m);
    expect(stdout).toContain('critical path: 178.8ms of gateway POST /api/checkout, by service');
    expect(stdout).toMatch(/^ {2}gateway\s+150\.2ms\s+84\.0%$/m);
    expect(stdout).toMatch(/^ {2}inventory\s+14\.5ms\s+8\.1%$/m);
    expect(stdout).toMatch(/^ {2}auth\s+10\.9ms\s+6\.1%$/m);
    expect(stdout).toMatch(/^ {2}cart\s+3\.3ms\s+1\.8%$/m);
    expect(stdout).toContain('  payment payment.requests process 92.0ms at +46.0ms');
  });

  it('prints the per-service summary alone with --summary', async () => {
    const { code, stdout } = await run([NORMAL, '--summary']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^payment-provider\s+3\s+17\.0ms\s+9\.4%\s+17\.0ms\s+9\.4%\s+-\s+0$/m);
    expect(stdout).toMatch(/^gateway\s+23\s+178\.8ms\s+99\.1%\s+150\.2ms\s+83\.3%\s+150\.2ms 84\.0%\s+0$/m);
    expect(stdout).not.toContain('└─');
  });

  it('diffs two traces with --diff', async () => {
    const { code, stdout } = await run([NORMAL, '--diff', SLOW]);
    expect(code).toBe(0);
    expect(stdout).toContain(`diff ${NORMAL} → ${SLOW}`);
    expect(stdout).toMatch(/^\s*\+2\.70s\s+7\.3ms\s+2\.70s\s+\+2\.70s\s+grew\s+payment-provider\s+create {2}under ChargesController\.create$/m);
  });

  it('prints the model with --json', async () => {
    const { code, stdout } = await run([NORMAL, '--json']);
    expect(code).toBe(0);
    const model = JSON.parse(stdout);
    expect(model.spans).toHaveLength(71);
    expect(model.spans[0]).toMatchObject({ name: 'POST /api/checkout', depth: 0, offsetUs: 0, durationUs: 178_827, selfUs: 2_059, critical: true });
    expect(model.summary.map((s: { service: string }) => s.service)).toEqual(['gateway', 'payment', 'inventory', 'payment-provider', 'cart', 'auth']);
    expect(model.criticalPathUs).toBe(178_827);
  });

  it('shows the newest checkout with --last', async () => {
    const { code, stdout } = await run(['--last']);
    expect(code).toBe(0);
    const [query] = asked;
    expect(Object.fromEntries(query.searchParams)).toMatchObject({ service: 'gateway', operation: 'POST /api/checkout' });
    // The lost-spans checkout was recorded last.
    expect(stdout).toContain(`trace ${ORPHANS}  gateway POST /api/checkout`);
    expect(stdout).toContain('⋯ (parent bb49a841 not in trace)');
  });

  it('polls a trace still arriving with --wait until it stops growing', async () => {
    const { code, stdout, stderr } = await run([ARRIVING.traceID, '--wait', '--summary']);
    expect(code).toBe(0);
    expect(stderr).toBe(`trace: ${ARRIVING.traceID}: 10 spans so far\ntrace: ${ARRIVING.traceID}: 27 spans so far\n`);
    expect(stdout).toContain('· 27 spans ·');
    // Found, grown, then quiet for 3 s at one poll every 0.5 s.
    expect(asked.length).toBeGreaterThanOrEqual(8);
  });

  it('exits 1 when Jaeger has no such trace, saying where it looked', async () => {
    const { code, stdout, stderr } = await run(['0123456789abcdef0123456789abcdef']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`trace 0123456789abcdef0123456789abcdef not found in Jaeger at ${jaegerUrl}`);
  });
});

describe('npm run trace -- <search>', () => {
  it('lists the traces over --min, newest first', async () => {
    const { code, stdout } = await run(['--service', 'gateway', '--min', '1s']);
    expect(code).toBe(0);
    expect(asked[0].searchParams.get('minDuration')).toBe('1s');
    expect(stdout).toMatch(/^1 trace \(service gateway, at least 1s, last 1h\), newest first$/m);
    expect(stdout).toMatch(new RegExp(`^2026-12-01 14:59:\\d\\d\\.\\d{3} UTC\\s+3\\.00s\\s+74\\s+0\\s+gateway POST /api/checkout\\s+${SLOW}$`, 'm'));
  });

  it('lists every checkout, newest first', async () => {
    const { stdout } = await run(['--operation', 'POST /api/checkout']);
    const ids = [...stdout.matchAll(/([0-9a-f]{32})$/gm)].map((m) => m[1]);
    expect(ids).toEqual([ORPHANS, POISON, SLOW, NORMAL]);
  });

  it('keeps only traces with an error span for --error, asking Jaeger for more to filter', async () => {
    const { code, stdout } = await run(['--error', '--limit', '5']);
    expect(code).toBe(0);
    expect(asked[0].searchParams.get('limit')).toBe('100');
    expect(asked[0].searchParams.get('tags')).toBeNull();
    expect(stdout).toMatch(new RegExp(`\\s3\\s+gateway POST /api/checkout\\s+${POISON}$`, 'm'));
    expect(stdout).not.toContain(NORMAL);
  });

  it('passes --tag to Jaeger', async () => {
    const { code, stdout } = await run(['--service', 'cart', '--tag', 'traceshop.messaging.retry_count=2']);
    expect(code).toBe(0);
    expect(JSON.parse(asked[0].searchParams.get('tags')!)).toEqual({ 'traceshop.messaging.retry_count': '2' });
    expect(stdout).toContain(POISON);
  });

  it('exits 1 when nothing matches', async () => {
    const { code, stderr } = await run(['--service', 'nosuch']);
    expect(code).toBe(1);
    expect(stderr).toContain(`no trace matches (service nosuch, last 1h) in Jaeger at ${jaegerUrl}`);
  });
});

describe('npm run trace -- failures', () => {
  it('exits 2 when Jaeger is unreachable, saying where it looked', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const { code, stderr } = await run([NORMAL], { TRACESHOP_JAEGER_URL: url });
    expect(code).toBe(2);
    expect(stderr).toContain(`trace: cannot reach Jaeger at ${url} (ECONNREFUSED); set TRACESHOP_JAEGER_URL or --jaeger-url`);
  });

  it('exits 2 on a wrong command line', async () => {
    const { code, stderr } = await run(['not-hex']);
    expect(code).toBe(2);
    expect(stderr).toBe('trace: trace ID must be up to 32 hex digits, not "not-hex" (--help lists the options)\n');
  });
});
