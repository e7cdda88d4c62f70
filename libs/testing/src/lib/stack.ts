import { SERVICES, ServiceName } from '@traceshop/contracts';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FaultSignal, LineFormat, LogMode, ManagedProcess, ProcessHandle, RestartPolicy, assertPortFree } from './processes';
import { createDatabase, createVhost, databaseUrl, deleteRedisKeys, deleteVhost, dropDatabase } from './resources';
import { locateTools, repoRoot } from './tools';

/** The six services, in the order of their port offsets. */
export const ALL_APPS = Object.keys(SERVICES) as ServiceName[];

/**
 * What a stack runs: the services, the Collector (`otelcol`) and Jaeger; with `samplers`, the
 * sampling Collectors behind it (`otelcol-sampler-1`, ...); with `replicas`, a service's further
 * instances (`payment-2`, ...).
 */
export type StackProcessName = ServiceName | 'otelcol' | 'jaeger' | `otelcol-sampler-${number}` | `${ServiceName}-${number}`;

/** Options of `startStack`. */
export interface StackOptions {
  /** Names this stack's database, vhost, Redis prefix and log folder (default: 8 random hex digits). */
  runId?: string;
  /** What the Collector keeps for Jaeger (default: TRACESHOP_SAMPLING, else tail with `samplers`, else keep-all). */
  sampling?: 'keep-all' | 'tail';
  /**
   * The two-layer telemetry tier (default: TRACESHOP_SAMPLERS, else one Collector): the services
   * send to a routing Collector (otel/collector.routing.yaml, with the static resolver) on the
   * Collector's usual ports, which spreads the traces by trace id over this many sampling
   * Collectors (collector.yaml and the sampling file, each on its own ports), all in front of
   * one Jaeger. Each service instance is also given a sampler of its own, in blocks in the order
   * they start (TRACESHOP_OTLP_SAMPLER_ENDPOINT): where it sends its spans, past the router, while
   * the split-traces scenario is on (libs/telemetry's SamplingDoorExporter).
   */
  samplers?: number;
  /** How many instances of a service to run (default: TRACESHOP_REPLICAS, e.g. `payment=2`; else one each). */
  replicas?: Partial<Record<ServiceName, number>>;
  /**
   * Apps listen on portBase + 0..5 (gateway, auth, cart, inventory, payment, payment-provider),
   * the Collector on portBase + 100..104, Jaeger on portBase + 110..115. Default: the apps'
   * real default ports (gateway 8080, auth 3001, ...), the Collector on 4317/4318/13133/8888 and
   * Jaeger's query API and UI on 16686 (see `stackPorts`).
   */
  portBase?: number;
  /** Which apps to start (default: all six; [] = only the Collector and Jaeger). */
  apps?: ServiceName[];
  /** Extra environment for every app (e.g. a fault flag). */
  env?: Record<string, string>;
  /** Extra environment for one app; wins over `env`. */
  appEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /**
   * true (default): a database `traceshop_<runId>`, a vhost `traceshop-<runId>` and the Redis
   * key prefix `<runId>:`, all removed by stop(). false: database and vhost `traceshop`,
   * created if missing and kept, and no Redis prefix (what `npm start` uses).
   */
  ephemeral?: boolean;
  /** 'files' (default): output only in `<logDir>/<name>.log`; 'inherit': also on stdout, prefixed `[name]`. */
  logs?: LogMode;
  /** 'inherit': how a line is shown on stdout instead (npm start's TerminalLog on a terminal). */
  format?: LineFormat;
  /** How long each process may take to become healthy (default 60 000 ms). */
  readyTimeoutMs?: number;
  /**
   * How a process that exits on its own is restarted (default DEFAULT_RESTART_POLICY: 1 s,
   * doubling to 15 s, reset after 30 s up); false: not at all.
   */
  restart?: Partial<RestartPolicy> | false;
}

/** A running stack. `stop()` stops it and, if it is ephemeral, deletes its data. */
export interface Stack {
  runId: string;
  /** Base URL of each started app, by service name. */
  urls: Record<ServiceName, string>;
  gatewayUrl: string;
  /** Jaeger's query API (and UI placeholder natively; the full UI comes with docker compose). */
  jaegerUrl: string;
  /** Where the services send OTLP/HTTP (POST <this>/v1/traces). */
  collectorOtlpHttpUrl: string;
  /** The Collector's span metrics (Prometheus text), counted before any sampling (with `samplers`: the first sampler's share). */
  spanMetricsUrl: string;
  /** The Prometheus metrics of the Collector the services send to (with `samplers`: the router's). */
  collectorMetricsUrl: string;
  databaseUrl: string;
  amqpUrl: string;
  redisKeyPrefix: string;
  /** Folder of the per-process log files. */
  logDir: string;
  /** The flag file the services read (flagd JSON): switch scenarios by rewriting it. */
  flagsFile: string;
  /** Each started process, supervised: current pid, restart count, the next restart, signals. */
  processes: Partial<Record<StackProcessName, ProcessHandle>>;
  /** The pid (and process group) of `name`'s current run. These four throw for a process this stack did not start. */
  pid(name: StackProcessName): number;
  /** How many times the supervisor has restarted `name`. */
  restarts(name: StackProcessName): number;
  /** Resolves with the pid of `name`'s next restart; rejects if the stack stops first. */
  nextRestart(name: StackProcessName): Promise<number>;
  /** Sends `signal` to the process group of `name` (a fault test's kill or freeze); throws if it is not running. */
  signal(name: StackProcessName, signal: FaultSignal): void;
  /** Stops every process for good (no restart races it) and, if ephemeral, deletes the data. */
  stop(): Promise<void>;
}

/** The ports a stack uses (see `StackOptions.portBase`). */
export interface StackPorts {
  apps: Record<ServiceName, number>;
  /** `otlpTailHttp`: the tail-sampling door (otel/collector.yaml's traces/tail). */
  collector: { otlpGrpc: number; otlpHttp: number; health: number; metrics: number; spanmetrics: number; otlpTailHttp: number };
  jaeger: { otlpGrpc: number; otlpHttp: number; queryHttp: number; queryGrpc: number; health: number; metrics: number };
}

/**
 * The ports of the two-layer tier's sampler `i` (1, 2, ...) and of a service's instance `n` (2, 3, ...):
 * from portBase (default 20000): samplers at + 120 + 10 (i - 1) + 0..5, like `collector`; further
 * instances at + 20 + 6 (n - 2) + the service's offset (payment's second: + 24).
 */
export function samplerPorts(portBase: number | undefined, i: number): StackPorts['collector'] {
  const b = (portBase ?? 20_000) + 120 + 10 * (i - 1);
  return { otlpGrpc: b, otlpHttp: b + 1, health: b + 2, metrics: b + 3, spanmetrics: b + 4, otlpTailHttp: b + 5 };
}
export function replicaPort(portBase: number | undefined, app: ServiceName, n: number): number {
  return (portBase ?? 20_000) + 20 + 6 * (n - 2) + ALL_APPS.indexOf(app);
}

/** TRACESHOP_REPLICAS (`payment=2,cart=3`) as `replicas`. */
export function replicasFromEnv(value = process.env.TRACESHOP_REPLICAS ?? ''): Partial<Record<ServiceName, number>> {
  const replicas: Partial<Record<ServiceName, number>> = {};
  for (const part of value.split(',').filter(Boolean)) {
    const [app, count] = part.split('=');
    if (!ALL_APPS.includes(app as ServiceName) || !/^[1-9]$/.test(count ?? '')) throw new Error(`TRACESHOP_REPLICAS: "${part}" is not <service>=<1-9>`);
    replicas[app as ServiceName] = Number(count);
  }
  return replicas;
}

/** The port layout of a stack started with `portBase` (undefined: the default ports). */
export function stackPorts(portBase?: number): StackPorts {
  if (portBase === undefined) {
    return {
      apps: { ...SERVICES },
      collector: { otlpGrpc: 4317, otlpHttp: 4318, health: 13133, metrics: 8888, spanmetrics: 8889, otlpTailHttp: 4319 },
      // Jaeger shares the host with the Collector natively, so its OTLP, health and metrics
      // ports move off the Collector's.
      jaeger: { otlpGrpc: 14317, otlpHttp: 14318, queryHttp: 16686, queryGrpc: 16685, health: 14133, metrics: 14888 },
    };
  }
  const b = portBase;
  return {
    apps: Object.fromEntries(ALL_APPS.map((app, i) => [app, b + i])) as Record<ServiceName, number>,
    collector: { otlpGrpc: b + 100, otlpHttp: b + 101, health: b + 102, metrics: b + 103, spanmetrics: b + 104, otlpTailHttp: b + 105 },
    jaeger: { otlpGrpc: b + 110, otlpHttp: b + 111, queryHttp: b + 112, queryGrpc: b + 113, health: b + 114, metrics: b + 115 },
  };
}

const LOCAL = '127.0.0.1';

/**
 * Starts the native stack: Jaeger and the Collector (the pinned binaries from
 * tools/build-tools.sh, with otel/jaeger.yaml and otel/collector.yaml), then the chosen apps
 * from dist/ (`node --require dist/apps/<app>/telemetry.js dist/apps/<app>/main.js`), each
 * waited for on its health endpoint. Postgres, Redis and RabbitMQ are the machine's.
 * On any failure everything already started is stopped again and the error says which process
 * failed, with the end of its log.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = repoRoot();
  const runId = options.runId ?? randomBytes(4).toString('hex');
  if (!/^[a-z0-9_]{1,40}$/.test(runId)) throw new Error(`runId must be lower-case letters, digits or _: ${runId}`);
  const apps = options.apps ?? ALL_APPS;
  const ephemeral = options.ephemeral ?? true;
  const logs = options.logs ?? 'files';
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  // Every process is supervised, the Collector and Jaeger too, as compose restarts them
  // (`unless-stopped`): without a Collector every service's spans go nowhere, and a Jaeger that
  // lost its in-memory traces in a crash is still better than one that takes no new ones.
  const restart = options.restart ?? {};
  const ports = stackPorts(options.portBase);
  const samplers = options.samplers ?? Number(process.env.TRACESHOP_SAMPLERS || 0);
  if (!Number.isInteger(samplers) || samplers < 0 || samplers > 9) throw new Error(`samplers must be 0 (one Collector) to 9: ${samplers}`);
  const samplerPortsOf = Array.from({ length: samplers }, (_, i) => samplerPorts(options.portBase, i + 1));
  const replicas = options.replicas ?? replicasFromEnv();
  // Each further instance of a service: its process name and port (`payment-2` on replicaPort).
  const instances = apps.flatMap((app) =>
    Array.from({ length: Math.max(0, (replicas[app] ?? 1) - 1) }, (_, i) => ({ app, name: `${app}-${i + 2}`, port: replicaPort(options.portBase, app, i + 2) })),
  );
  const envSampling = process.env.TRACESHOP_SAMPLING;
  const sampling = options.sampling ?? (envSampling === 'tail' || envSampling === 'keep-all' ? envSampling : samplers > 0 ? 'tail' : 'keep-all');

  const tools = locateTools(root);
  const missing = apps.filter((app) => !existsSync(join(root, 'dist/apps', app, 'main.js')));
  if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} (run \`npx nx run-many -t build -p ${missing.join(',')}\`)`);
  for (const app of apps) await assertPortFree(ports.apps[app], app);
  for (const [what, port] of Object.entries(ports.collector)) await assertPortFree(port, `collector ${what}`);
  for (const [what, port] of Object.entries(ports.jaeger)) await assertPortFree(port, `jaeger ${what}`);
  for (const [i, sp] of samplerPortsOf.entries()) for (const [what, port] of Object.entries(sp)) await assertPortFree(port, `sampler ${i + 1} ${what}`);
  for (const { name, port } of instances) await assertPortFree(port, name);

  const database = ephemeral ? `traceshop_${runId}` : 'traceshop';
  const vhost = ephemeral ? `traceshop-${runId}` : 'traceshop';
  const redisUrl = process.env.TRACESHOP_REDIS_URL || 'redis://127.0.0.1:6379';
  const redisKeyPrefix = ephemeral ? `${runId}:` : '';
  const amqpUrl = `${process.env.TRACESHOP_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672'}/${encodeURIComponent(vhost)}`;
  const logDir = join(root, 'tmp', `stack-${runId}`);
  mkdirSync(logDir, { recursive: true });
  // The fault-scenario flags: an ephemeral stack gets its own copy, so a test that switches a
  // scenario never touches the repository's file or another stack's.
  const flagsFile = ephemeral ? join(logDir, 'flags.json') : join(root, 'flags/traceshop.flagd.json');
  if (ephemeral) copyFileSync(join(root, 'flags/traceshop.flagd.json'), flagsFile);

  const urls = Object.fromEntries(ALL_APPS.map((app) => [app, `http://${LOCAL}:${ports.apps[app]}`])) as Record<ServiceName, string>;
  const started: ManagedProcess[] = [];
  let created = { database: false, vhost: false };

  const cleanUp = async () => {
    const errors: unknown[] = [];
    const backend = (p: ManagedProcess) => p.name.startsWith('otelcol') || p.name === 'jaeger';
    await Promise.all(started.filter((p) => !backend(p)).map((p) => p.stop()));
    // The Collector after the apps (it receives their last spans), its samplers after it, Jaeger
    // last (each flushes its batch on the way out).
    await started.find((p) => p.name === 'otelcol')?.stop();
    await Promise.all(started.filter((p) => p.name.startsWith('otelcol-sampler-')).map((p) => p.stop()));
    await started.find((p) => p.name === 'jaeger')?.stop();
    if (ephemeral) {
      if (created.database) await dropDatabase(database).catch((e) => errors.push(e));
      if (created.vhost) await deleteVhost(vhost).catch((e) => errors.push(e));
      await deleteRedisKeys(redisUrl, redisKeyPrefix).catch((e) => errors.push(e));
    }
    if (errors.length > 0) throw new AggregateError(errors, `stack ${runId}: clean-up failed: ${errors.map(String).join('; ')}`);
  };

  const start = (name: string, command: string, args: string[], env: Record<string, string>) => {
    const proc = ManagedProcess.start({ name, command, args, cwd: root, env: { ...baseEnv(), ...env }, logFile: join(logDir, `${name}.log`), logs, format: options.format, restart });
    started.push(proc);
    return proc;
  };

  try {
    await Promise.all([
      createDatabase(database).then(() => (created = { ...created, database: true })),
      createVhost(vhost).then(() => (created = { ...created, vhost: true })),
    ]);

    // Quiet backends when their output lands on the terminal.
    const backendLogLevel = logs === 'inherit' ? 'warn' : 'info';
    const jaegerOtlpGrpc = `${LOCAL}:${ports.jaeger.otlpGrpc}`;
    const jaeger = start('jaeger', tools.jaeger, ['--config', `file:${join(root, 'otel/jaeger.yaml')}`], {
      JAEGER_OTLP_GRPC_ENDPOINT: jaegerOtlpGrpc,
      JAEGER_OTLP_HTTP_ENDPOINT: `${LOCAL}:${ports.jaeger.otlpHttp}`,
      JAEGER_QUERY_HTTP_ENDPOINT: `${LOCAL}:${ports.jaeger.queryHttp}`,
      JAEGER_QUERY_GRPC_ENDPOINT: `${LOCAL}:${ports.jaeger.queryGrpc}`,
      JAEGER_HEALTH_ENDPOINT: `${LOCAL}:${ports.jaeger.health}`,
      JAEGER_METRICS_HOST: LOCAL,
      JAEGER_METRICS_PORT: String(ports.jaeger.metrics),
      JAEGER_LOG_LEVEL: backendLogLevel,
    });
    // Jaeger first: a Collector that finds Jaeger's port closed backs off and holds its first
    // batch for ~5 s.
    await jaeger.waitHealthy(`http://${LOCAL}:${ports.jaeger.health}/status`, readyTimeoutMs);
    const configs = (...files: string[]) => files.flatMap((f) => ['--config', `file:${join(root, f)}`]);
    const collectorEnv = (p: StackPorts['collector']) => ({
      OTELCOL_OTLP_GRPC_ENDPOINT: `${LOCAL}:${p.otlpGrpc}`,
      OTELCOL_OTLP_HTTP_ENDPOINT: `${LOCAL}:${p.otlpHttp}`,
      OTELCOL_HEALTH_ENDPOINT: `${LOCAL}:${p.health}`,
      OTELCOL_METRICS_HOST: LOCAL,
      OTELCOL_METRICS_PORT: String(p.metrics),
      OTELCOL_SPANMETRICS_ENDPOINT: `${LOCAL}:${p.spanmetrics}`,
      OTELCOL_OTLP_TAIL_HTTP_ENDPOINT: `${LOCAL}:${p.otlpTailHttp}`,
      OTELCOL_LOG_LEVEL: backendLogLevel,
      JAEGER_OTLP_GRPC_ENDPOINT: jaegerOtlpGrpc,
    });
    // The sampling file after the base one picks what the traces pipeline keeps.
    const samplingFile = `otel/collector.sampling-${sampling}.yaml`;
    if (samplers === 0) {
      const collector = start('otelcol', tools.otelcol, configs('otel/collector.yaml', samplingFile), collectorEnv(ports.collector));
      await collector.waitHealthy(`http://${LOCAL}:${ports.collector.health}/`, readyTimeoutMs);
    } else {
      // The two-layer tier: the samplers first (a router that finds a sampler's port closed
      // backs off), then the router on the Collector's usual ports.
      const samplerProcs = samplerPortsOf.map((p, i) => start(`otelcol-sampler-${i + 1}`, tools.otelcol, configs('otel/collector.yaml', samplingFile), collectorEnv(p)));
      await Promise.all(samplerProcs.map((proc, i) => proc.waitHealthy(`http://${LOCAL}:${samplerPortsOf[i].health}/`, readyTimeoutMs)));
      const router = start('otelcol', tools.otelcol, configs('otel/collector.routing.yaml', 'otel/collector.routing-static.yaml'), {
        ...collectorEnv(ports.collector),
        OTELCOL_SAMPLERS: `[${samplerPortsOf.map((p) => `${LOCAL}:${p.otlpGrpc}`).join(', ')}]`,
      });
      await router.waitHealthy(`http://${LOCAL}:${ports.collector.health}/`, readyTimeoutMs);
    }
    // The split-traces scenario's way past the router: each instance a sampler of its own, as a
    // plain Service in front of the samplers pins each instance's connection to one of them. In
    // blocks, in the order they start: with two samplers, the gateway, auth and cart (the first
    // half) on the first, payment and the provider on the second; a further instance goes with the
    // second half.
    const total = apps.length + instances.length;
    let instancesStarted = 0;
    const samplerOfNext = (): Record<string, string> =>
      samplers > 0 ? { TRACESHOP_OTLP_SAMPLER_ENDPOINT: `http://${LOCAL}:${samplerPortsOf[Math.floor((instancesStarted++ * samplers) / total)].otlpHttp}` } : {};

    const collectorOtlpHttpUrl = `http://${LOCAL}:${ports.collector.otlpHttp}`;
    const startApp = (app: ServiceName, name: string, port: number) =>
      start(name, process.execPath, ['--require', join(root, 'dist/apps', app, 'telemetry.js'), join(root, 'dist/apps', app, 'main.js')], {
        PORT: String(port),
        OTEL_SERVICE_NAME: app,
        OTEL_EXPORTER_OTLP_ENDPOINT: collectorOtlpHttpUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        TRACESHOP_OTLP_TAIL_ENDPOINT: `http://${LOCAL}:${ports.collector.otlpTailHttp}`,
        DATABASE_URL: databaseUrl(database),
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: redisKeyPrefix,
        AMQP_URL: amqpUrl,
        AUTH_URL: urls.auth,
        CART_URL: urls.cart,
        INVENTORY_URL: urls.inventory,
        PAYMENT_URL: urls.payment,
        PAYMENT_PROVIDER_URL: urls['payment-provider'],
        FLAGS_FILE: flagsFile,
        LOG_LEVEL: 'info',
        ...samplerOfNext(),
        ...options.env,
        ...options.appEnv?.[app],
      });
    const appProcs = apps.map((app) => startApp(app, app, ports.apps[app]));
    await Promise.all(appProcs.map((p, i) => p.waitHealthy(`${urls[apps[i]]}/health/ready`, readyTimeoutMs)));
    // Further instances once the first ones are up (they have created the schema and the queues).
    const more = instances.map(({ app, name, port }) => startApp(app, name, port));
    await Promise.all(more.map((p, i) => p.waitHealthy(`http://${LOCAL}:${instances[i].port}/health/ready`, readyTimeoutMs)));

    const processes = Object.fromEntries(started.map((p) => [p.name, p])) as Partial<Record<StackProcessName, ProcessHandle>>;
    const handle = (name: StackProcessName): ProcessHandle => {
      const proc = processes[name];
      if (!proc) throw new Error(`${name} is not part of stack ${runId}`);
      return proc;
    };
    let stopping: Promise<void> | undefined;
    return {
      runId,
      urls,
      gatewayUrl: urls.gateway,
      jaegerUrl: `http://${LOCAL}:${ports.jaeger.queryHttp}`,
      collectorOtlpHttpUrl,
      spanMetricsUrl: `http://${LOCAL}:${(samplerPortsOf[0] ?? ports.collector).spanmetrics}/metrics`,
      collectorMetricsUrl: `http://${LOCAL}:${ports.collector.metrics}/metrics`,
      databaseUrl: databaseUrl(database),
      amqpUrl,
      redisKeyPrefix,
      logDir,
      flagsFile,
      processes,
      pid: (name) => handle(name).pid,
      restarts: (name) => handle(name).restarts,
      nextRestart: (name) => handle(name).nextRestart(),
      signal: (name, signal) => handle(name).signal(signal),
      stop: () => (stopping ??= cleanUp()),
    };
  } catch (e) {
    await cleanUp().catch(() => undefined);
    throw e;
  }
}

/**
 * The environment every process starts from: ours, minus what would change how a service or
 * backend behaves behind the stack's back (a test runner's NODE_ENV, a loader in NODE_OPTIONS,
 * stray OTEL_* settings).
 */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('OTEL_') || ['NODE_OPTIONS', 'NODE_ENV', 'JEST_WORKER_ID'].includes(key)) continue;
    env[key] = value;
  }
  return env;
}
