/**
 * What does a build cost at start-up? Starts each service of one or more builds alone, one
 * after the other, and measures the time from spawning `node --require <build>/<app>/telemetry.js
 * <build>/<app>/main.js` to the first 200 of `/health/ready`, and the CPU time it used until then
 * (user + system, from /proc/<pid>/stat: steadier than wall time on a busy machine), then its
 * idle resident memory (VmRSS and RssAnon from /proc/<pid>/status, after --settle of idleness). Builds are
 * interleaved (A B A B ...) after one unmeasured warm-up start of each, which also applies the
 * migrations, so every measured start finds the same database and a warm file cache.
 *
 * Each build is a folder shaped like dist/apps (copy dist/apps aside before a change, build
 * again after it). The services use the Postgres, Redis and RabbitMQ of the machine through one
 * `startStack({ apps: [] })` (its own database, vhost, Collector and Jaeger) and get the
 * environment startStack gives its apps. Not part of the test suite.
 *
 *   npm run bench -- startup \
 *     --builds before=tmp/startup-before,after=dist/apps [--rounds 3] [--settle 3s] \
 *     [--apps gateway,auth,...] [--port-base 23000] [--json tmp/startup.json]
 */
import { ALL_APPS, startStack, waitFor, type Stack } from '@traceshop/testing';
import type { ServiceName } from '@traceshop/contracts';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = join(__dirname, '../..');

const { values: args } = parseArgs({
  options: {
    builds: { type: 'string', default: 'before=tmp/startup-before,after=dist/apps' },
    rounds: { type: 'string', default: '3' },
    settle: { type: 'string', default: '3s' },
    apps: { type: 'string', default: ALL_APPS.join(',') },
    'port-base': { type: 'string', default: '23000' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('usage: npm run bench -- startup [--builds before=tmp/startup-before,after=dist/apps] [--rounds 3] [--settle 3s] [--apps <names>] [--port-base 23000] [--json <file>] (tools/bench/README.md)');
  process.exit(0);
}

interface Build {
  label: string;
  dir: string;
}
interface Sample {
  build: string;
  round: number;
  app: ServiceName;
  readyMs: number;
  cpuMs: number;
  rssMiB: number;
  anonMiB: number;
}

const builds: Build[] = args.builds!.split(',').map((b) => {
  const [label, dir] = b.split('=');
  if (!label || !dir) fail(`--builds: expected label=folder, got ${b}`);
  return { label, dir: resolve(root, dir) };
});
const rounds = Number(args.rounds);
const settleMs = Number(/^(\d+)s$/.exec(args.settle!)?.[1] ?? fail('--settle: like 3s')) * 1000;
const apps = args.apps!.split(',') as ServiceName[];
for (const app of apps) if (!ALL_APPS.includes(app)) fail(`unknown app ${app}`);
for (const b of builds) for (const app of apps) if (!existsSync(join(b.dir, app, 'main.js'))) fail(`${b.label}: ${b.dir}/${app}/main.js is missing`);

async function main() {
  const stack = await startStack({ runId: 'bench_startup', portBase: Number(args['port-base']), apps: [], ephemeral: true });
  const samples: Sample[] = [];
  const started = new Date();
  try {
    for (const b of builds) for (const app of apps) await startWithRetries(stack, b, app); // warm-up: migrations, file cache
    for (let round = 1; round <= rounds; round++) {
      for (const b of builds) {
        for (const app of apps) {
          const s = { build: b.label, round, app, ...(await startWithRetries(stack, b, app)) };
          samples.push(s);
          log(`round ${round} ${b.label} ${app}: ready in ${s.readyMs.toFixed(0)} ms (${s.cpuMs.toFixed(0)} ms CPU), VmRSS ${s.rssMiB.toFixed(1)} MiB (anon ${s.anonMiB.toFixed(1)})`);
        }
      }
    }
  } finally {
    // A database restarted by someone else's test must not cost us the numbers.
    await stack.stop().catch((e) => log(`clean-up of the stack failed: ${(e as Error).message}`));
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}`;
  console.log(`\n${started.toISOString()}, ${machine}, ${rounds} rounds, VmRSS after ${args.settle} idle\n`);
  console.log(table(samples));
  if (args.json) {
    mkdirSync(dirname(resolve(root, args.json)), { recursive: true });
    writeFileSync(resolve(root, args.json), JSON.stringify({ date: started.toISOString(), machine, builds, rounds, settle: args.settle, samples }, null, 2));
  }
}

/**
 * A start that fails (a shared Postgres, Redis or RabbitMQ restarted by another test run, say)
 * is tried again, twice at most; the median of the rounds absorbs a start that was merely slowed.
 */
async function startWithRetries(stack: Stack, b: Build, app: ServiceName) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(stack, b, app);
    } catch (e) {
      if (attempt === 3) throw e;
      log(`${b.label} ${app}: ${(e as Error).message.slice(0, 300)}; trying again`);
    }
  }
}

/** One start of `app` from build `b`: ms until /health/ready answers 200, then its memory once idle; then it is stopped. */
async function startOnce(stack: Stack, b: Build, app: ServiceName): Promise<{ readyMs: number; cpuMs: number; rssMiB: number; anonMiB: number }> {
  const url = stack.urls[app];
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--require', join(b.dir, app, 'telemetry.js'), join(b.dir, app, 'main.js')], {
    cwd: root,
    env: appEnv(stack, app),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const died = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${app} (${b.label}) exited (${code}) before it was ready: ${stderr}`))));
  died.catch(() => undefined); // it also "dies" when stop() ends it below
  try {
    await Promise.race([
      waitFor(() => fetch(`${url}/health/ready`).then((res) => res.status), (status) => status === 200, { timeoutMs: 60_000, intervalMs: 10, what: `${app} (${b.label}) ready` }),
      died,
    ]);
    const readyMs = performance.now() - t0;
    const cpuMs = cpuMsOf(child.pid!);
    await new Promise((r) => setTimeout(r, settleMs)); // idle, as a service waits between requests
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    return { readyMs, cpuMs, rssMiB: kb('VmRSS') / 1024, anonMiB: kb('RssAnon') / 1024 };
  } finally {
    await stop(child);
  }
}

/** What startStack gives an app (libs/testing's stack.ts), minus the caller's OTEL_* and NODE_OPTIONS. */
function appEnv(stack: Stack, app: ServiceName): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && !['NODE_OPTIONS', 'NODE_ENV'].includes(k)));
  return {
    ...env,
    PORT: new URL(stack.urls[app]).port,
    OTEL_SERVICE_NAME: app,
    OTEL_EXPORTER_OTLP_ENDPOINT: stack.collectorOtlpHttpUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    DATABASE_URL: stack.databaseUrl,
    REDIS_URL: process.env.TRACESHOP_REDIS_URL || 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: stack.redisKeyPrefix,
    AMQP_URL: stack.amqpUrl,
    AUTH_URL: stack.urls.auth,
    CART_URL: stack.urls.cart,
    INVENTORY_URL: stack.urls.inventory,
    PAYMENT_URL: stack.urls.payment,
    PAYMENT_PROVIDER_URL: stack.urls['payment-provider'],
    FLAGS_FILE: stack.flagsFile,
    LOG_LEVEL: 'info',
  };
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU time of a process so far, in ms (fields 14 and 15 of /proc/<pid>/stat). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); // after "(comm)", field 3 onwards
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Per app and measure: median (min–max) of each build, and each later build's median against the first's (ratio and difference). */
function table(samples: Sample[]): string {
  const [base, ...others] = builds.map((b) => b.label);
  const measures = [
    { key: 'readyMs', title: 'ready ms', digits: 0 },
    { key: 'cpuMs', title: 'CPU ms', digits: 0 },
    { key: 'rssMiB', title: 'VmRSS MiB', digits: 1 },
    { key: 'anonMiB', title: 'RssAnon MiB', digits: 1 },
  ] as const;
  const of = (build: string, app: string, key: Measure) => samples.filter((s) => s.build === build && s.app === app).map((s) => s[key]);
  const header = measures.flatMap((m) => [...builds.map((b) => `${b.label} ${m.title}`), ...others.map((o) => `${o}/${base}`)]);
  const lines = [`| service | ${header.join(' | ')} |`, `| --- |${' --- |'.repeat(header.length)}`];
  for (const app of apps) {
    const cells = measures.flatMap(({ key, digits }) => {
      const xs = (build: string) => of(build, app, key);
      const baseline = median(xs(base));
      return [
        ...builds.map((b) => `${median(xs(b.label)).toFixed(digits)} (${Math.min(...xs(b.label)).toFixed(digits)}–${Math.max(...xs(b.label)).toFixed(digits)})`),
        ...others.map((o) => `×${(median(xs(o)) / baseline).toFixed(2)} (${signed(median(xs(o)) - baseline, digits)})`),
      ];
    });
    lines.push(`| ${app} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

type Measure = 'readyMs' | 'cpuMs' | 'rssMiB' | 'anonMiB';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const signed = (x: number, digits: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
const log = (msg: string) => console.log(`[startup ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function fail(msg: string): never {
  throw new Error(msg);
}

main().catch((e) => {
  console.error(`startup bench failed: ${(e as Error).message}`);
  process.exit(1);
});
