import { stackFromEnv } from '@traceshop/testing';
import Ajv from 'ajv';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { APPS, ComposeService, bytes, environmentOf, interpolationsWithoutDefault, isDefault, isOneShot, loadCompose, parsePort, read, root, versions } from './workspace';
import { parse } from 'yaml';
import composeSchema from '../schema/compose-spec.json';

const compose = loadCompose();
const services = Object.entries(compose.services);
/** What `docker compose up` starts; the others are one-shot jobs in a profile (k6). */
const defaultServices = services.filter(([, s]) => isDefault(s));
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const imageTag = (image = '') => /^(?<name>[^:@]+):(?<tag>[^:@]+)$/.exec(image)?.groups;
/** The `${env:NAME:-host:port}` default of an endpoint in one of the shared otel/*.yaml files. */
const endpointDefault = (file: string, name: string) => {
  const m = new RegExp(`\\$\\{env:${name}:-([^}:]+):(\\d+)\\}`).exec(read(file));
  if (!m) throw new Error(`${file} has no default for ${name}`);
  return { host: m[1], port: m[2] };
};
const limitOf = (s: ComposeService) => s.deploy?.resources?.limits?.memory;
const bindMounts = (s: ComposeService) =>
  (s.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => {
    const [source, target, mode] = v.split(':');
    return { source, target, mode };
  });

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    // The vendored schema is draft-07 with a few later keywords (`deprecated`), hence not strict.
    const schema: Record<string, unknown> = { ...composeSchema };
    delete schema.$schema;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('runs the six services, Postgres, Redis, RabbitMQ, the Collector, Jaeger and Prometheus, and k6 only on demand', () => {
    expect(defaultServices.map(([name]) => name).sort()).toEqual([...APPS, 'postgres', 'redis', 'rabbitmq', 'otel-collector', 'jaeger', 'prometheus'].sort());
    const onDemand = services.filter(([, s]) => !isDefault(s));
    expect(onDemand.map(([name, s]) => ({ name, profiles: s.profiles, oneShot: isOneShot(s) }))).toEqual([{ name: 'k6', profiles: ['k6'], oneShot: true }]);
  });

  it('pins every image to a version, including the ones a build starts from', () => {
    const refs = services.flatMap(([name, s]) => [
      { where: name, ref: s.image },
      ...[...(s.build?.dockerfile_inline ?? '').matchAll(/(?:^FROM\s+|--from=)(\S+)/gm)].map((m) => ({ where: `${name} (build)`, ref: m[1] })),
    ]);
    for (const { where, ref } of refs) {
      const tag = imageTag(ref);
      // (Prometheus tags its images v3.16.0.)
      expect({ where, ref, tag: tag?.tag }).toEqual({ where, ref, tag: expect.stringMatching(/^v?\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?$/) });
    }
  });

  it('uses the Collector, Jaeger and Node versions the native build uses, and tags its own images with the workspace version', () => {
    const v = versions();
    const collector = service('otel-collector');
    expect(collector.build?.dockerfile_inline).toMatch(new RegExp(`^FROM otel/opentelemetry-collector-contrib:${v.OTELCOL_VERSION.replace(/\./g, '\\.')}$`, 'm'));
    expect(imageTag(collector.image)?.tag).toBe(v.OTELCOL_VERSION);
    expect(service('jaeger').image).toBe(`jaegertracing/jaeger:${v.JAEGER_VERSION}`);
    expect(service('k6').image).toBe(`grafana/k6:${v.K6_VERSION}`);
    const { version } = JSON.parse(read('package.json')) as { version: string };
    for (const app of APPS) expect(service(app).image).toBe(`traceshop-${app}:${version}`);
    // Node: the Dockerfile's ARG, which dockerfile.spec.ts compares with .nvmrc; compose must not override it.
    for (const app of APPS) expect(service(app).build?.args?.NODE_VERSION).toBeUndefined();
  });

  it('builds each service from the root Dockerfile with APP set to its name', () => {
    for (const app of APPS) {
      expect(service(app).build).toEqual({ context: '.', args: { APP: app } });
    }
  });

  it('mounts the very Collector, Jaeger and flag files the native stack uses, read-only', () => {
    const stackSource = read('libs/testing/src/lib/stack.ts');
    const checks: [string, string][] = [
      ['otel-collector', 'otel/collector.yaml'],
      ['jaeger', 'otel/jaeger.yaml'],
    ];
    for (const [name, file] of checks) {
      expect(stackSource).toContain(`'${file}'`); // what the native launcher passes to --config
      const s = service(name);
      const mount = bindMounts(s).find((m) => posix.normalize(m.source) === file);
      expect(mount).toEqual({ source: `./${file}`, target: expect.any(String), mode: 'ro' });
      expect(s.command).toContain(`--config=file:${mount!.target}`);
    }
    // The flag file: FLAGS_FILE of the apps that read it lies in a read-only mount of ./flags.
    expect(stackSource).toContain("'flags/traceshop.flagd.json'");
    const readers = APPS.filter((app) => 'FLAGS_FILE' in (service(app).environment ?? {}));
    expect(readers.length).toBeGreaterThan(0);
    for (const app of readers) {
      const path = environmentOf(service(app)).FLAGS_FILE;
      const mount = bindMounts(service(app)).find((m) => path.startsWith(`${m.target}/`));
      expect(mount).toMatchObject({ mode: 'ro' });
      expect(join(root, mount!.source, path.slice(mount!.target.length))).toBe(join(root, 'flags/traceshop.flagd.json'));
    }
  });

  it('gives every container but a one-shot job a healthcheck, and starts nothing before what it depends on is healthy', () => {
    for (const [name, s] of services) {
      // A one-shot job is never "healthy": it runs and exits. Nothing may wait for it.
      if (isOneShot(s)) {
        expect({ name, dependants: services.filter(([, other]) => name in (other.depends_on ?? {})).map(([n]) => n) }).toEqual({ name, dependants: [] });
      } else {
        expect({ name, test: s.healthcheck?.test?.[0] }).toEqual({ name, test: expect.stringMatching(/^CMD(-SHELL)?$/) });
        expect(s.healthcheck?.disable).toBeUndefined();
      }
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect({ name, dependency, condition, exists: dependency in compose.services }).toEqual({ name, dependency, condition: 'service_healthy', exists: true });
      }
    }
    // The gateway is last: when it is healthy, every other container is.
    const reach = (name: string, seen = new Set<string>()): Set<string> => {
      for (const dep of Object.keys(compose.services[name].depends_on ?? {})) if (!seen.has(dep)) reach(dep, seen.add(dep));
      return seen;
    };
    expect([...reach('gateway')].sort()).toEqual(defaultServices.map(([n]) => n).filter((n) => n !== 'gateway').sort());
  });

  it("checks each app's readiness (Postgres, Redis, RabbitMQ included) on its own port", () => {
    for (const app of APPS) {
      const s = service(app);
      expect(s.healthcheck?.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${environmentOf(s).PORT}/health/ready`]);
    }
  });

  it('limits the memory of every container, what `docker compose up` starts to under 1.5 GB in all (even counting a GB as 10^9 bytes)', () => {
    const limits = services.map(([name, s]) => ({ name, limit: limitOf(s) }));
    for (const l of limits) expect(l).toEqual({ name: l.name, limit: expect.stringMatching(/^\d+[mMgG]$/) });
    // The budget is the stack's; a one-shot job (k6) runs beside it for a while, on its own limit.
    const total = defaultServices.reduce((sum, [, s]) => sum + bytes(limitOf(s)!), 0);
    expect(total).toBeLessThan(1.5e9);
  });

  it("keeps each Node service's heap and each Go backend's memory target inside its container", () => {
    for (const app of APPS) {
      const s = service(app);
      const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(environmentOf(s).NODE_OPTIONS ?? '')?.[1]);
      expect({ app, heapMiB }).toEqual({ app, heapMiB: expect.any(Number) });
      // Beside its V8 heap a service held up to ~40 MiB more (native buffers, code) under load.
      expect((heapMiB + 40) * 2 ** 20).toBeLessThanOrEqual(bytes(limitOf(s)!));
    }
    for (const name of ['otel-collector', 'jaeger', 'prometheus']) {
      const s = service(name);
      expect(bytes(environmentOf(s).GOMEMLIMIT.replace(/iB$/, ''))).toBeLessThan(bytes(limitOf(s)!));
    }
    // The Collector's memory_limiter (heap) refuses spans before the container runs out.
    const collector = service('otel-collector');
    const limitMiB = Number(environmentOf(collector).OTELCOL_MEMORY_LIMIT_MIB);
    const spikeMiB = Number(/memory_limiter::spike_limit_mib=(\d+)/.exec((collector.command ?? []).join(' '))?.[1]);
    expect(spikeMiB).toBeGreaterThan(0);
    expect(spikeMiB).toBeLessThan(limitMiB);
    expect(limitMiB * 2 ** 20).toBeLessThan(bytes(limitOf(collector)!));
  });

  it('publishes only the gateway, the Jaeger UI, the RabbitMQ UI, the OTLP ports and the span metrics, on localhost', () => {
    const published = services.flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, ...parsePort(p) })));
    expect(published.sort((a, b) => a.published - b.published)).toEqual([
      { name: 'otel-collector', hostIp: '127.0.0.1', published: 4317, target: 4317 },
      { name: 'otel-collector', hostIp: '127.0.0.1', published: 4318, target: 4318 },
      { name: 'gateway', hostIp: '127.0.0.1', published: 8080, target: 8080 },
      // The span metrics, where `npm run trace -- --stats` reads them by default.
      { name: 'otel-collector', hostIp: '127.0.0.1', published: 8889, target: 8889 },
      { name: 'rabbitmq', hostIp: '127.0.0.1', published: 15672, target: 15672 },
      { name: 'jaeger', hostIp: '127.0.0.1', published: 16686, target: 16686 },
    ]);
    expect(environmentOf(service('gateway')).PORT).toBe('8080');
    // The system tests' switch to a running stack points at exactly these.
    const stack = stackFromEnv({ TRACESHOP_GATEWAY_URL: 'http://localhost:8080', TRACESHOP_JAEGER_URL: 'http://localhost:16686' });
    expect(stack).toMatchObject({ gatewayUrl: 'http://localhost:8080', jaegerUrl: 'http://localhost:16686' });
  });

  it('keeps a named volume only for the data that should survive a restart (Postgres)', () => {
    expect(Object.keys(compose.volumes ?? {})).toEqual(['postgres-data']);
    for (const [name, s] of services) {
      const named = (s.volumes ?? []).filter((v) => !v.startsWith('./') && !v.startsWith('/'));
      expect({ name, named }).toEqual({ name, named: name === 'postgres' ? ['postgres-data:/var/lib/postgresql/data'] : [] });
      for (const m of bindMounts(s)) {
        // Read-only, but for the one folder a one-shot job writes its results to (SUMMARY_DIR).
        const results = isOneShot(s) && m.target === environmentOf(s).SUMMARY_DIR;
        expect({ name, ...m, exists: existsSync(join(root, m.source)) }).toEqual({ name, ...m, mode: results ? undefined : 'ro', exists: true });
      }
    }
  });

  it('runs the k6 scripts as k6/README.md says: the smoke script by default, any other by its path, against the gateway', () => {
    const k6 = service('k6');
    const env = environmentOf(k6);
    // k6/ read-only where `k6 run k6/<script>.ts` finds it, summaries into ./k6/results.
    expect(bindMounts(k6)).toEqual([
      { source: './k6', target: `${k6.working_dir}/k6`, mode: 'ro' },
      { source: './k6/results', target: env.SUMMARY_DIR, mode: undefined },
    ]);
    expect(k6.command).toEqual(['run', 'k6/smoke.ts']);
    expect(k6.depends_on).toEqual({ gateway: { condition: 'service_healthy' } });
    expect(env.BASE_URL).toBe(`http://gateway:${environmentOf(service('gateway')).PORT}`);
    // Links for a person's browser: Jaeger as published on the host.
    const jaegerUi = (service('jaeger').ports ?? []).map(parsePort).find((p) => p.target === 16686);
    expect(env.JAEGER_URL).toBe(`http://localhost:${jaegerUi?.published}`);
    // Every `docker compose run ... k6 ...` the README shows names a script that exists.
    const documented = [...read('k6/README.md').matchAll(/^docker compose run --rm (?:-e \S+ )*k6(?: run (\S+))?/gm)];
    expect(documented.length).toBeGreaterThanOrEqual(2);
    for (const [line, script = k6.command![1]] of documented) expect({ line, exists: existsSync(join(root, script)) }).toEqual({ line, exists: true });
  });

  it('gives every ${VARIABLE} it reads from the shell a default', () => {
    expect(interpolationsWithoutDefault()).toEqual([]);
  });

  it('uses one set of credentials: those Postgres and RabbitMQ are created with are the ones the apps use', () => {
    const pg = environmentOf(service('postgres'));
    const rabbitConf = compose.configs?.['rabbitmq-conf']?.content ?? '';
    const rabbit = {
      user: /^default_user\s*=\s*(\S+)$/m.exec(rabbitConf)?.[1],
      pass: /^default_pass\s*=\s*(\S+)$/m.exec(rabbitConf)?.[1],
    };
    expect(service('rabbitmq').configs).toContainEqual({ source: 'rabbitmq-conf', target: expect.stringMatching(/^\/etc\/rabbitmq\/conf\.d\/.+\.conf$/) });
    expect(service('rabbitmq').healthcheck?.test?.join(' ')).toContain(`${rabbit.user}:${rabbit.pass}@`);
    for (const app of APPS) {
      const env = environmentOf(service(app));
      if (env.DATABASE_URL) {
        const url = new URL(env.DATABASE_URL);
        expect([url.username, url.password, url.pathname]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`]);
      }
      if (env.AMQP_URL) {
        const url = new URL(env.AMQP_URL);
        expect([url.username, url.password]).toEqual([rabbit.user, rabbit.pass]);
      }
    }
  });

  it("relies on the shared otel/*.yaml files' defaults, which must hold on the compose network", () => {
    const collector = service('otel-collector');
    const jaeger = service('jaeger');
    const ports = (s: ComposeService) => (s.ports ?? []).map((p) => String(parsePort(p).target));
    // The Collector exports to Jaeger's OTLP/gRPC receiver: that host is the jaeger service.
    const exportTo = endpointDefault('otel/collector.yaml', 'JAEGER_OTLP_GRPC_ENDPOINT');
    expect(exportTo).toEqual({ host: 'jaeger', port: endpointDefault('otel/jaeger.yaml', 'JAEGER_OTLP_GRPC_ENDPOINT').port });
    const spanMetrics = endpointDefault('otel/collector.yaml', 'OTELCOL_SPANMETRICS_ENDPOINT').port;
    expect(ports(collector)).toEqual([
      endpointDefault('otel/collector.yaml', 'OTELCOL_OTLP_GRPC_ENDPOINT').port,
      endpointDefault('otel/collector.yaml', 'OTELCOL_OTLP_HTTP_ENDPOINT').port,
      spanMetrics,
    ]);
    // Jaeger's Monitor tab asks the prometheus service, which scrapes the Collector's span metrics
    // with the very otel/prometheus.yml it mounts, and is healthy on the port Jaeger asks.
    const prometheus = service('prometheus');
    const promUrl = new URL(/\$\{env:JAEGER_PROMETHEUS_URL:-([^}]+)\}/.exec(read('otel/jaeger.yaml'))![1]);
    expect(promUrl.hostname).toBe('prometheus');
    expect(prometheus.healthcheck?.test?.join(' ')).toContain(`127.0.0.1:${promUrl.port}/-/ready`);
    expect(jaeger.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
    const promConfig = bindMounts(prometheus).find((m) => m.source === './otel/prometheus.yml');
    expect(prometheus.command).toContain(`--config.file=${promConfig!.target}`);
    expect(parse(read('otel/prometheus.yml')).scrape_configs).toEqual([
      { job_name: 'spanmetrics', static_configs: [{ targets: [`otel-collector:${spanMetrics}`] }] },
    ]);
    expect(ports(jaeger)).toEqual([endpointDefault('otel/jaeger.yaml', 'JAEGER_QUERY_HTTP_ENDPOINT').port]);
    expect(collector.healthcheck?.test?.join(' ')).toContain(`127.0.0.1:${endpointDefault('otel/collector.yaml', 'OTELCOL_HEALTH_ENDPOINT').port}/`);
    expect(jaeger.healthcheck?.test?.join(' ')).toContain(`127.0.0.1:${endpointDefault('otel/jaeger.yaml', 'JAEGER_HEALTH_ENDPOINT').port}/status`);
    // Compose overrides none of the addresses: the files' defaults are compose's.
    for (const s of [collector, jaeger]) expect(Object.keys(environmentOf(s)).filter((k) => k.endsWith('_ENDPOINT'))).toEqual([]);
  });

  it('points every address at a service on the compose network, on the port that service listens on', () => {
    const listens: Record<string, string> = {
      postgres: '5432',
      redis: '6379',
      rabbitmq: '5672',
      'otel-collector': endpointDefault('otel/collector.yaml', 'OTELCOL_OTLP_HTTP_ENDPOINT').port,
    };
    for (const app of APPS) listens[app] = environmentOf(service(app)).PORT;
    for (const app of APPS) {
      const env = environmentOf(service(app));
      for (const [key, value] of Object.entries(env).filter(([k]) => k.endsWith('_URL') || k === 'OTEL_EXPORTER_OTLP_ENDPOINT')) {
        const url = new URL(value);
        expect({ app, key, host: url.hostname, port: url.port }).toEqual({ app, key, host: expect.any(String), port: listens[url.hostname] });
      }
      // The Collector's tail-sampling door (the sampling-blind-spot fix sends spans there).
      const tailDoor = new URL(env.TRACESHOP_OTLP_TAIL_ENDPOINT);
      expect({ app, host: tailDoor.hostname, port: tailDoor.port }).toEqual({ app, host: 'otel-collector', port: endpointDefault('otel/collector.yaml', 'OTELCOL_OTLP_TAIL_HTTP_ENDPOINT').port });
    }
  });
});
