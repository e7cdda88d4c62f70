/**
 * What does tracing cost? The same checkout-only k6 load (k6/bench.ts) against the native stack
 * in five configurations, interleaved A B C D E A B C D E ... so that drift of the machine (other
 * work, thermal, caches) spreads over all of them instead of favouring one:
 *
 *   sdk-off         OTEL_SDK_DISABLED=true, the preload still loaded
 *   always-off      SDK on, sampler always_off
 *   ratio-10        parentbased_traceidratio 0.1
 *   full            100% sampling
 *   collector-down  100% sampling, nothing listening where the services export
 *
 * and any of them minus instrumentations or plus environment, e.g. always-off-no-pino,
 * always-off@TRACESHOP_EXPRESS_SPANS=true (see configById).
 *
 * For each run: a fresh stack, accounts registered and logged in beforehand, a warm-up, then a
 * fixed-rate phase (latency p50/p95/p99; CPU of every service process from /proc/<pid>/stat,
 * per checkout) and a max-rate phase (checkouts/s with MAX_VUS shoppers back to back); peak RSS
 * per service (VmHWM) at the end. Writes a Markdown table, an SVG chart and the raw numbers.
 * Not part of the test suite.
 *
 *   npm run bench -- \
 *     [--reps 3] [--rate 3] [--duration 60s] [--warmup 15s] [--max-vus 8] \
 *     [--configs sdk-off,always-off,ratio-10,full,collector-down] [--port-base 24000] [--out docs/benchmarks]
 */
import { ALL_APPS, findTraces, k6Binary, pinnedVersions, portOpen, stackPorts, startStack, type Stack } from '@traceshop/testing';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { INSTRUMENTATION_NAMES } from '../../libs/telemetry/src/lib/instrumentations';
import { renderMarkdown, renderSvg, summarize, TRACE_CAP, type Config, type RunResult } from './report';

const root = join(__dirname, '../..');

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    rate: { type: 'string', default: '3' },
    duration: { type: 'string', default: '60s' },
    warmup: { type: 'string', default: '15s' },
    'max-vus': { type: 'string', default: '8' },
    configs: { type: 'string', default: 'sdk-off,always-off,ratio-10,full,collector-down' },
    'port-base': { type: 'string', default: '24000' },
    out: { type: 'string', default: 'docs/benchmarks' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('usage: npm run bench -- [--reps 3] [--rate 3] [--duration 60s] [--warmup 15s] [--max-vus 8] [--configs <ids>] [--port-base 24000] [--out docs/benchmarks] (tools/bench/README.md)');
  process.exit(0);
}

const reps = Number(args.reps);
const rate = Number(args.rate);
const maxVus = Number(args['max-vus']);
const portBase = Number(args['port-base']);
const durationS = seconds(args.duration!);
// Nothing listens here (between the Collector's and Jaeger's ports): an exporter whose Collector is down.
const deadCollector = `http://127.0.0.1:${portBase + 109}`;

const CONFIGS: Config[] = [
  { id: 'sdk-off', label: 'SDK disabled (OTEL_SDK_DISABLED=true, preload present)', env: { OTEL_SDK_DISABLED: 'true' } },
  { id: 'always-off', label: 'SDK on, sampler always_off', env: { OTEL_TRACES_SAMPLER: 'always_off' } },
  { id: 'ratio-10', label: 'parentbased_traceidratio 0.1', env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
  { id: 'full', label: '100% sampling', env: { OTEL_TRACES_SAMPLER: 'parentbased_always_on' } },
  { id: 'collector-down', label: '100% sampling, Collector down', env: { OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_EXPORTER_OTLP_ENDPOINT: deadCollector } },
];

/**
 * A configuration by id: one of CONFIGS, or one of them minus some instrumentations,
 * `<id>-no-<name>[+<name>...]` (e.g. `always-off-no-pino`, `always-off-no-pg+ioredis`), which sets
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS (names as in libs/telemetry's instrumentations.ts); `-no-all`
 * leaves every instrumentation out: nothing patched. `<id>@NAME=value[@NAME=value...]` adds
 * environment to any of these (e.g. `always-off@TRACESHOP_EXPRESS_SPANS=true`).
 */
function configById(id: string): Config {
  const [plain, ...settings] = id.split('@');
  if (settings.length > 0) {
    const base = configById(plain);
    const env = Object.fromEntries(settings.map((s) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(s)?.slice(1, 3) ?? fail(`${id}: expected @NAME=value, got @${s}`)));
    return { id, label: `${base.label}, ${settings.join(', ')}`, env: { ...base.env, ...env } };
  }
  const m = /^(.+?)-no-([a-z0-9+-]+)$/.exec(id);
  const base = CONFIGS.find((c) => c.id === (m ? m[1] : id)) ?? fail(`unknown configuration ${id}`);
  if (!m) return base;
  const names = m[2] === 'all' ? INSTRUMENTATION_NAMES : m[2].split('+');
  for (const name of names) if (!INSTRUMENTATION_NAMES.includes(name)) fail(`${id}: unknown instrumentation ${name} (known: ${INSTRUMENTATION_NAMES.join(', ')})`);
  return { id, label: `${base.label}, without ${m[2] === 'all' ? 'any instrumentation' : names.join(' + ')}`, env: { ...base.env, OTEL_NODE_DISABLED_INSTRUMENTATIONS: names.join(',') } };
}

async function main() {
  const chosen = args.configs!.split(',').map(configById);
  if (!(reps >= 1 && rate > 0 && maxVus >= 1 && durationS > 0)) fail('need --reps >= 1, --rate > 0, --max-vus >= 1, --duration > 0');
  const k6 = k6Binary();
  const work = mkdtempSync(join(tmpdir(), 'traceshop-bench-'));
  const results: RunResult[] = [];
  const started = new Date();
  try {
    for (let rep = 1; rep <= reps; rep++) {
      for (const config of chosen) {
        log(`rep ${rep}/${reps} ${config.id}: starting the stack`);
        results.push(await measure(k6, config, rep, join(work, `${config.id}-${rep}`)));
        const r = results[results.length - 1];
        log(`rep ${rep}/${reps} ${config.id}: ${r.maxCheckoutsPerS.toFixed(2)} checkouts/s at max, p95 ${r.fixed.p95Ms.toFixed(0)} ms, ${r.cpuMsPerCheckout.toFixed(0)} CPU ms/checkout`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const out = join(root, args.out!);
  mkdirSync(out, { recursive: true });
  const meta = {
    date: started.toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}, k6 ${pinnedVersions().K6_VERSION}`,
    command: `npm run bench -- --reps ${reps} --rate ${rate} --duration ${args.duration} --warmup ${args.warmup} --max-vus ${maxVus} --configs ${args.configs} --out ${args.out}`,
    reps,
    rate,
    duration: args.duration!,
    warmup: args.warmup!,
    maxVus,
  };
  const summary = summarize(chosen, results);
  writeFileSync(join(out, 'tracing-overhead.json'), JSON.stringify({ meta, summary, runs: results }, null, 2));
  writeFileSync(join(out, 'tracing-overhead.svg'), renderSvg(summary));
  writeFileSync(join(out, 'tracing-overhead.md'), renderMarkdown(meta, summary));
  log(`wrote ${['md', 'svg', 'json'].map((ext) => relative(root, join(out, `tracing-overhead.${ext}`))).join(', ')}`);
}

/** One configuration, once: its own stack, warm-up, fixed rate, max rate. */
async function measure(k6: string, config: Config, rep: number, dir: string): Promise<RunResult> {
  mkdirSync(dir, { recursive: true });
  if (config.env.OTEL_EXPORTER_OTLP_ENDPOINT === deadCollector && (await portOpen(portBase + 109))) fail(`port ${portBase + 109} is in use: it must be closed for collector-down`);
  // Its shoppers check out back to back: the gateway's per-user checkout limit is raised out of their way.
  const env = { CHECKOUT_LIMIT_PER_USER: '100000', ...config.env };
  const stack = await startStack({ runId: `bench_${config.id.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 28)}_${rep}`, portBase, ephemeral: true, logs: 'files', env });
  try {
    const pids = findProcesses(stack);
    const accountsFile = join(dir, 'accounts.json');
    writeFileSync(accountsFile, JSON.stringify(await newAccounts(stack.gatewayUrl, Math.max(maxVus, Math.ceil(rate * 8), 4))));
    const run = (mode: 'fixed' | 'max', duration: string) => runK6(k6, dir, { MODE: mode, DURATION: duration, RATE: String(rate), VUS: String(maxVus), ACCOUNTS_FILE: accountsFile, BASE_URL: stack.gatewayUrl, JAEGER_URL: stack.jaegerUrl });

    await run('fixed', args.warmup!); // JIT, connection pools, caches: not measured
    const before = cpuMs(pids.services);
    const pipelineBefore = cpuMs(pids.pipeline);
    const fixed = await run('fixed', args.duration!);
    const cpu = diff(cpuMs(pids.services), before);
    const pipelineCpu = diff(cpuMs(pids.pipeline), pipelineBefore);
    const max = await run('max', args.duration!);
    const rssMiB = Object.fromEntries(Object.entries(pids.services).map(([name, pid]) => [name, peakRssMiB(pid)]));
    const checkouts = fixed.checkouts.paid + fixed.checkouts.declined;
    // A sanity check that the configuration did what it says: how many checkout traces Jaeger holds.
    const stored = await findTraces(stack.jaegerUrl, { service: 'gateway', operation: 'POST /api/checkout', lookback: '1h', limit: TRACE_CAP }).catch(() => []);
    return {
      config: config.id,
      rep,
      fixed: { checkouts, perS: checkouts / durationS, p50Ms: fixed.endpoints.checkout?.p50Ms ?? NaN, p95Ms: fixed.endpoints.checkout?.p95Ms ?? NaN, p99Ms: fixed.endpoints.checkout?.p99Ms ?? NaN, errorRate: fixed.errorRate },
      maxCheckoutsPerS: (max.checkouts.paid + max.checkouts.declined) / durationS,
      maxErrorRate: max.errorRate,
      cpuMsByService: cpu,
      cpuMsPerCheckout: checkouts > 0 ? sum(Object.values(cpu)) / checkouts : NaN,
      pipelineCpuMsPerCheckout: checkouts > 0 ? sum(Object.values(pipelineCpu)) / checkouts : NaN,
      peakRssMiB: rssMiB,
      checkoutTracesInJaeger: stored.length,
    };
  } finally {
    await stack.stop();
  }
}

interface K6Summary {
  checkouts: { paid: number; declined: number };
  endpoints: { checkout?: { p50Ms: number; p95Ms: number; p99Ms: number } };
  errorRate: number;
}

/** Runs k6/bench.ts; k6 exit 99 (the error-rate threshold) is recorded, not fatal. */
async function runK6(k6: string, dir: string, env: Record<string, string>): Promise<K6Summary> {
  const flags = Object.entries({ ...env, TRACEPARENT: 'none', DECLINE_RATE: '0', SUMMARY_DIR: dir }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  let output = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(k6, ['run', '--quiet', '--no-color', ...flags, 'k6/bench.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0 && code !== 99) throw new Error(`k6 (${env.MODE}) exited ${code}:\n${output.slice(-3000)}`);
  const s = JSON.parse(readFileSync(join(dir, `bench-${env.MODE}-summary.json`), 'utf8'));
  return { checkouts: s.checkouts, endpoints: s.endpoints, errorRate: s.k6.http_req_failed?.values.rate ?? 0 };
}

/** Registers and logs in `n` shoppers, a few at a time (each login is a scrypt hash in auth). */
async function newAccounts(gatewayUrl: string, n: number) {
  const tag = Math.random().toString(16).slice(2, 10);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${gatewayUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ accessToken?: string }>;
  };
  const accounts = [];
  for (let i = 0; i < n; i += 4) {
    accounts.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(4, n - i) }, async (_, j) => {
          const account = { email: `bench-${tag}-${i + j}@load.traceshop.test`, password: `bench-pw-${tag}` };
          await post('/api/auth/register', account);
          return { ...account, token: (await post('/api/auth/login', account)).accessToken };
        }),
      )),
    );
  }
  return accounts;
}

/** The pids of the stack's service processes (by their dist/apps/<app>/main.js and PORT) and of the Collector and Jaeger. */
function findProcesses(stack: Stack) {
  const ports = stackPorts(portBase);
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => {
      try {
        return { pid: Number(pid), cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'), env: readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0') };
      } catch {
        return undefined; // gone, or not ours to read
      }
    })
    .filter((p) => p !== undefined);
  const find = (what: string, match: (p: (typeof procs)[number]) => boolean) => procs.find(match)?.pid ?? fail(`no process found for ${what} of stack ${stack.runId}`);
  const services = Object.fromEntries(
    ALL_APPS.map((app) => [app, find(app, (p) => p.cmd.some((a) => a.endsWith(`dist/apps/${app}/main.js`)) && p.env.includes(`PORT=${ports.apps[app]}`))]),
  );
  const pipeline = {
    otelcol: find('otelcol', (p) => p.env.includes(`OTELCOL_HEALTH_ENDPOINT=127.0.0.1:${ports.collector.health}`) && /otelcol/.test(p.cmd[0])),
    jaeger: find('jaeger', (p) => p.env.includes(`JAEGER_HEALTH_ENDPOINT=127.0.0.1:${ports.jaeger.health}`) && /jaeger/.test(p.cmd[0])),
  };
  return { services, pipeline };
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU time of each process so far, in ms (fields 14 and 15 of /proc/<pid>/stat). */
function cpuMs(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); // after "(comm)", field 3 onwards
      return [name, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK];
    }),
  );
}

/** The process's peak resident set (VmHWM) in MiB. */
function peakRssMiB(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}

function diff(after: Record<string, number>, before: Record<string, number>) {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k]]));
}

function seconds(duration: string): number {
  const m = /^(\d+)(s|m)$/.exec(duration) ?? fail(`durations are like 60s or 2m, got ${duration}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function fail(msg: string): never {
  throw new Error(msg);
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exit(1);
});
