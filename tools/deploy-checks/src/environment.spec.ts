import { APPS, NODE_RUNTIME_VARIABLES, configReadsOf, configSchemaOf, environmentOf, k6Variables, loadCompose, telemetryVariables } from './workspace';

/**
 * Config is data (STYLE.md): every app's settings are named, defaulted and validated in its
 * schema (apps/<app>/src/config.ts); the telemetry preload reads the OTEL_* variables. Compose
 * must set each one, set nothing else, and pass each app's own validation. The k6 job gets only
 * variables its scripts read (k6/lib/config.ts and the scripts' `__ENV`).
 */
const compose = loadCompose();

describe.each(APPS)('the environment compose gives %s', (app) => {
  const env = environmentOf(compose.services[app]);
  let schema: Awaited<ReturnType<typeof configSchemaOf>>;
  let reads: Set<string>;

  beforeAll(async () => {
    schema = await configSchemaOf(app);
    reads = new Set([...Object.keys(schema.shape), ...telemetryVariables(), ...configReadsOf(app)]);
  });

  it('sets every variable the app reads: its config schema, the telemetry preload, ConfigService reads in the libs it uses', () => {
    const missing = [...reads].filter((name) => !(name in env)).sort();
    expect(missing).toEqual([]);
  });

  it('sets nothing the app does not read (a misspelt name would silently fall back to a default)', () => {
    const unknown = Object.keys(env).filter((name) => !reads.has(name) && !NODE_RUNTIME_VARIABLES.includes(name)).sort();
    expect(unknown).toEqual([]);
  });

  it("passes the app's own start-up validation", () => {
    const result = schema.safeParse(env);
    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('changes no setting from its schema default, only where things are (addresses and files) and the pool size', () => {
    // PG_POOL_SIZE: the pools share compose's small Postgres (checked below), not a machine's.
    const defaults = schema.safeParse({}).data!;
    const parsed = schema.safeParse(env).data!;
    const changed = Object.keys(schema.shape).filter((k) => String(parsed[k]) !== String(defaults[k]) && !/_(URL|FILE)$/.test(k) && k !== 'PG_POOL_SIZE');
    expect(changed).toEqual([]);
  });

  it('names the service after the app, as Jaeger will list it', () => {
    expect(env.OTEL_SERVICE_NAME).toBe(app);
  });
});

describe("the Postgres connections compose's services may hold", () => {
  it('fit in max_connections, with room left for `npm run audit` and a psql', async () => {
    const command = compose.services.postgres.command ?? [];
    const maxConnections = Number(/^max_connections=(\d+)$/.exec(command.find((arg) => arg.startsWith('max_connections=')) ?? '')?.[1]);
    let pools = 0;
    for (const app of APPS) {
      const settings = (await configSchemaOf(app)).safeParse(environmentOf(compose.services[app])).data!;
      if ('PG_POOL_SIZE' in settings) pools += Number(settings.PG_POOL_SIZE);
    }
    expect(pools).toBeGreaterThan(0);
    expect(pools + 5).toBeLessThanOrEqual(maxConnections);
  });
});

describe('the environment compose gives k6', () => {
  const env = environmentOf(compose.services.k6);

  it('sets where the shop and Jaeger are and where summaries go, and only variables the k6 scripts read', () => {
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['BASE_URL', 'JAEGER_URL', 'SUMMARY_DIR']));
    const reads = k6Variables();
    expect(Object.keys(env).filter((name) => !reads.has(name)).sort()).toEqual([]);
  });
});

describe('the variables the checks above derive', () => {
  // Guards the derivation itself: were it to find nothing, the checks above would pass vacuously.
  it('find the telemetry variables and the pool size PostgresModule reads', () => {
    expect([...telemetryVariables()]).toEqual(
      expect.arrayContaining(['OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_BSP_SCHEDULE_DELAY', 'TRACESHOP_AMQP_CONSUME_LINKS']),
    );
    expect(configReadsOf('auth').has('PG_POOL_SIZE')).toBe(true);
    expect(configReadsOf('payment-provider').has('PG_POOL_SIZE')).toBe(false);
    expect(configReadsOf('gateway').has('AMQP_URL')).toBe(true);
    // The k6 scripts: lib/config.ts's own, a journey knob (__ENV.MIX), a parser's (envInt('VUS', ...)).
    expect([...k6Variables()]).toEqual(expect.arrayContaining(['BASE_URL', 'JAEGER_URL', 'SEED', 'SUMMARY_DIR', 'MIX', 'VUS', 'ITERATIONS', 'RATE', 'DURATION']));
  });
});
