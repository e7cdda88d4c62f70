import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ApiServer, startApiServer } from './kube-apiserver';
import { tool } from './processes';
import { APPS, ComposeService, bytes, environmentOf, loadCompose, read, root, versions } from './workspace';

/**
 * The Helm chart (deploy/helm/traceshop) against docker-compose.yml, its source of truth, and
 * against a real Kubernetes API server: rendered by the pinned Helm with the default values and
 * the scaled-out ones, then every object created with a server-side dry run (no cluster, no nodes).
 */
const CHART = 'deploy/helm/traceshop';
const SCALED = `${CHART}/values-scaled.yaml`;
/** The data stores outside the chart, Prometheus too, and Jaeger on an OpenSearch cluster (documented, not run). */
const EXTERNAL = [
  '--set', 'postgres.deploy=false,postgres.url=postgres://shop:secret@db.example:5432/shop',
  '--set', 'redis.deploy=false,redis.url=rediss://cache.example:6380',
  '--set', 'rabbitmq.deploy=false,rabbitmq.url=amqps://shop:secret@mq.example:5671',
  '--set', 'jaeger.storage=opensearch,jaeger.opensearch.serverUrls={https://search.example:9200}',
  '--set', 'prometheus.deploy=false,prometheus.url=http://metrics.example:9090',
];
const NAMESPACE = 'traceshop';

const v = versions();
const helm = (...args: string[]) => execFileSync(tool('helm', 'HELM_VERSION'), args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    clusterIP?: string;
    serviceName?: string;
    selector?: Record<string, string> & { matchLabels?: Record<string, string> };
    ports?: { name: string; port: number; targetPort: string }[];
    template?: { metadata: { labels: Record<string, string> }; spec: { containers: Container[]; volumes?: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string }; emptyDir?: object }[] } };
  };
}

/** `helm template` of the chart (with these values files or --set options): its objects, parsed. */
function render(...options: string[]): K8sObject[] {
  const text = helm('template', 'traceshop', CHART, '--namespace', NAMESPACE, ...options);
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const WORKLOADS = ['Deployment', 'StatefulSet'];
const workloads = (objects: K8sObject[]) => objects.filter((o) => WORKLOADS.includes(o.kind));
const find = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered chart`);
  return found;
};
const containerOf = (objects: K8sObject[], name: string) => find(objects, WORKLOADS.find((k) => objects.some((o) => o.kind === k && o.metadata.name === name)) ?? 'Deployment', name).spec!.template!.spec.containers[0];

/** A container's environment as the kubelet hands it over: secret references resolved, pod fields left out. */
function environment(objects: K8sObject[], c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) continue;
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? find(objects, 'Secret', ref.name).stringData![ref.key] : (e.value ?? '');
  }
  return env;
}

/** Docker's 144M is 144 MiB, Kubernetes's 144Mi. */
const kubeBytes = (q: string) => bytes(q.replace(/i$/, ''));

const compose = loadCompose();
const composeService = (name: string): ComposeService => compose.services[name];
/** Where a chart container's image comes from in compose: the Collector's is the base its inline build starts from. */
const composeImage = (name: string) =>
  name.startsWith('otel-') ? /^FROM\s+(\S+)$/m.exec(composeService('otel-collector').build!.dockerfile_inline!)![1] : composeService(name).image;

describe('the Helm chart, against docker-compose.yml', () => {
  let objects: K8sObject[];
  let scaled: K8sObject[];

  beforeAll(() => {
    objects = render();
    scaled = render('-f', SCALED);
  });

  it('passes `helm lint --strict`, with the default values and the scaled-out ones', () => {
    for (const files of [[], ['-f', SCALED]]) expect(helm('lint', CHART, '--strict', ...files)).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('renders the six services, the data stores and the two-layer telemetry tier', () => {
    const names = (list: K8sObject[]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names(workloads(objects))).toEqual(
      [...APPS, 'postgres', 'redis', 'rabbitmq', 'otel-collector', 'jaeger', 'prometheus'].map((n) => `Deployment/${n}`).concat('StatefulSet/otel-sampler').sort(),
    );
    // A Service for each, and the PVCs of Postgres and Jaeger's Badger.
    expect(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name).sort()).toEqual(workloads(objects).map((o) => o.metadata.name).sort());
    expect(names(objects.filter((o) => o.kind === 'PersistentVolumeClaim'))).toEqual(['PersistentVolumeClaim/jaeger-badger', 'PersistentVolumeClaim/postgres-data']);
    // The same objects scaled out, with the replicas of values-scaled.yaml.
    expect(names(scaled)).toEqual(names(objects));
    const replicas = (list: K8sObject[]) => Object.fromEntries(workloads(list).map((o) => [o.metadata.name, o.spec!.replicas]));
    expect(replicas(scaled)).toMatchObject({ gateway: 3, auth: 2, cart: 2, inventory: 2, payment: 2, 'payment-provider': 1, 'otel-collector': 2, 'otel-sampler': 3, jaeger: 1, postgres: 1 });
    expect(Object.values(replicas(objects)).filter((r) => r !== 1)).toEqual([2]); // two samplers by default
  });

  it("runs compose's images, every one pinned, the Collector the contrib image of otel/versions.env", () => {
    for (const w of workloads(objects)) {
      for (const c of w.spec!.template!.spec.containers) {
        expect({ workload: w.metadata.name, image: c.image }).toEqual({ workload: w.metadata.name, image: composeImage(w.metadata.name) });
        expect(c.image).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?$/);
      }
    }
    expect(containerOf(objects, 'otel-sampler').image).toBe(`otel/opentelemetry-collector-contrib:${v.OTELCOL_VERSION}`);
    expect(containerOf(objects, 'jaeger').image).toBe(`jaegertracing/jaeger:${v.JAEGER_VERSION}`);
    // The chart's appVersion is the workspace's, the tag compose gives the services' images.
    expect(read(`${CHART}/Chart.yaml`)).toMatch(new RegExp(`^appVersion: "${JSON.parse(read('package.json')).version}"$`, 'm'));
  });

  it('takes Postgres, Redis, RabbitMQ and Prometheus from values as external servers, and Jaeger can store in OpenSearch', () => {
    const external = render(...EXTERNAL);
    const names = (list: K8sObject[]) => list.map((o) => `${o.kind}/${o.metadata.name}`);
    // Nothing of the data stores or Prometheus is deployed, nor Badger's volume; the rest is as by default.
    const gone = ['postgres', 'redis', 'rabbitmq', 'postgres-data', 'rabbitmq-conf', 'jaeger-badger', 'prometheus', 'prometheus-config'];
    expect(names(external).sort()).toEqual(names(objects).filter((n) => !gone.includes(n.split('/')[1])).sort());
    expect(names(external.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'prometheus'))).toEqual([]);
    const urls = { DATABASE_URL: 'postgres://shop:secret@db.example:5432/shop', REDIS_URL: 'rediss://cache.example:6380', AMQP_URL: 'amqps://shop:secret@mq.example:5671' };
    expect(find(external, 'Secret', 'traceshop-connections').stringData).toEqual(urls);
    for (const app of APPS) {
      const env = environment(external, containerOf(external, app));
      for (const [key, url] of Object.entries(urls)) if (key in environmentOf(composeService(app))) expect({ app, key, url: env[key] }).toEqual({ app, key, url });
    }
    const jaeger = containerOf(external, 'jaeger');
    expect(jaeger.args).toContain('--config=file:/etc/traceshop/jaeger.opensearch.yaml');
    expect(environment(external, jaeger).JAEGER_ES_SERVER_URLS).toBe('["https://search.example:9200"]');
    expect(find(external, 'ConfigMap', 'otel-config').data!['jaeger.opensearch.yaml']).toBe(read(`${CHART}/files/jaeger.opensearch.yaml`));
    // The Monitor tab asks the Prometheus of prometheus.url.
    expect(environment(external, jaeger).JAEGER_PROMETHEUS_URL).toBe('http://metrics.example:9090');
  });

  it('gives every container startup, liveness and readiness probes, requests and a memory limit (compose’s, where compose has one)', () => {
    for (const w of workloads(objects)) {
      for (const c of w.spec!.template!.spec.containers) {
        const where = `${w.metadata.name}/${c.name}`;
        expect({ where, probes: [c.startupProbe, c.livenessProbe, c.readinessProbe].map((p) => Boolean(p?.httpGet ?? p?.exec)) }).toEqual({ where, probes: [true, true, true] });
        expect({ where, requests: Object.keys(c.resources?.requests ?? {}).sort(), limit: c.resources?.limits?.memory }).toEqual({ where, requests: ['cpu', 'memory'], limit: expect.stringMatching(/^\d+Mi$/) });
        // Compose's limits, but for Jaeger (Badger on a volume here, in memory there) and the samplers (compose has none).
        const composed = compose.services[w.metadata.name]?.deploy?.resources?.limits?.memory;
        if (composed && w.metadata.name !== 'jaeger') expect({ where, limit: kubeBytes(c.resources!.limits!.memory) }).toEqual({ where, limit: bytes(composed) });
      }
    }
    // The services: /health/live keeps them alive, /health/ready (their dependencies) puts them behind their Service.
    for (const app of APPS) {
      const c = containerOf(objects, app);
      expect([c.livenessProbe?.httpGet, c.readinessProbe?.httpGet]).toEqual([
        { path: '/health/live', port: 'http' },
        { path: '/health/ready', port: 'http' },
      ]);
      expect(c.ports).toEqual([{ name: 'http', containerPort: Number(environmentOf(composeService(app)).PORT) }]);
    }
    // The data stores: compose's healthchecks.
    for (const name of ['postgres', 'redis', 'rabbitmq']) {
      const test = composeService(name).healthcheck!.test!;
      const command = test[0] === 'CMD-SHELL' ? ['sh', '-c', test[1]] : test.slice(1);
      expect({ name, probe: containerOf(objects, name).readinessProbe?.exec?.command }).toEqual({ name, probe: command });
    }
  });

  it("gives each service compose's environment, but for where it runs", () => {
    for (const app of APPS) {
      const { OTEL_RESOURCE_ATTRIBUTES, ...env } = environment(objects, containerOf(objects, app));
      const { OTEL_RESOURCE_ATTRIBUTES: composed, ...expected } = environmentOf(composeService(app));
      expect({ app, env }).toEqual({ app, env: expected });
      expect(composed).toBe('deployment.environment.name=compose');
      expect(OTEL_RESOURCE_ATTRIBUTES).toBe('deployment.environment.name=kubernetes,k8s.namespace.name=$(K8S_NAMESPACE),k8s.pod.name=$(K8S_POD_NAME)');
      // (both defined before it, which is what lets the kubelet expand them)
      const names = containerOf(objects, app).env!.map((e) => e.name);
      expect(names.indexOf('K8S_POD_NAME')).toBeLessThan(names.indexOf('OTEL_RESOURCE_ATTRIBUTES'));
      expect(names.indexOf('K8S_NAMESPACE')).toBeLessThan(names.indexOf('OTEL_RESOURCE_ATTRIBUTES'));
    }
    // The data stores: compose's commands, credentials and configuration.
    const pg = containerOf(objects, 'postgres');
    expect(pg.args).toEqual(composeService('postgres').command);
    expect(environment(objects, pg)).toEqual({ ...environmentOf(composeService('postgres')), PGDATA: '/var/lib/postgresql/data/pgdata' });
    expect(containerOf(objects, 'redis').args).toEqual(composeService('redis').command);
    const rabbit = containerOf(objects, 'rabbitmq');
    expect(environment(objects, rabbit)).toEqual(environmentOf(composeService('rabbitmq')));
    const [rabbitConf] = composeService('rabbitmq').configs!;
    const conf = find(objects, 'ConfigMap', 'rabbitmq-conf').data!;
    expect(Object.values(conf)).toEqual([compose.configs![rabbitConf.source].content]);
    expect(rabbit.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: rabbitConf.target, subPath: Object.keys(conf)[0] }));
  });

  it('points every address at a Service of the chart, on a port that Service has', () => {
    const services = objects.filter((o) => o.kind === 'Service');
    const serves = (host: string, port: number) => services.some((s) => s.metadata.name === host && s.spec!.ports!.some((p) => p.port === port));
    for (const app of APPS) {
      for (const [key, value] of Object.entries(environment(objects, containerOf(objects, app))).filter(([k]) => k.endsWith('_URL') || k === 'OTEL_EXPORTER_OTLP_ENDPOINT')) {
        const url = new URL(value);
        expect({ app, key, served: serves(url.hostname, Number(url.port)) }).toEqual({ app, key, served: true });
      }
    }
    // Each Service selects the pods of the workload of its name, by a port that workload's container names.
    for (const s of services) {
      const w = workloads(objects).find((o) => o.metadata.name === s.metadata.name)!;
      expect(w.spec!.template!.metadata.labels).toMatchObject(s.spec!.selector!);
      const named = w.spec!.template!.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
      for (const p of s.spec!.ports!) expect({ service: s.metadata.name, port: p.targetPort, named: named.includes(p.targetPort) }).toEqual({ service: s.metadata.name, port: p.targetPort, named: true });
    }
  });

  it('routes by trace id to the samplers through a headless Service, and the samplers export to the jaeger Service', () => {
    const router = containerOf(objects, 'otel-collector');
    const samplers = find(objects, 'Service', 'otel-sampler');
    // Headless: its DNS name answers with each sampler pod's address, not one virtual address.
    expect(samplers.spec!.clusterIP).toBe('None');
    expect(find(objects, 'StatefulSet', 'otel-sampler').spec!.serviceName).toBe('otel-sampler');
    expect(environment(objects, router).OTELCOL_SAMPLERS_HOSTNAME).toBe('otel-sampler');
    const routing = parseAllDocuments(read('otel/collector.routing.yaml'))[0].toJS();
    expect(routing.exporters.load_balancing.routing_key).toBe('traceID');
    expect(routing.service.pipelines.traces.exporters).toEqual(['load_balancing']);
    const dnsPort = /OTELCOL_SAMPLERS_PORT:-(\d+)/.exec(read('otel/collector.routing-dns.yaml'))![1];
    expect(samplers.spec!.ports).toContainEqual(expect.objectContaining({ name: 'otlp-grpc', port: Number(dnsPort) }));
    // The samplers keep collector.yaml's default Jaeger address: the jaeger Service's OTLP port.
    const jaegerAt = /\$\{env:JAEGER_OTLP_GRPC_ENDPOINT:-([^}]+)\}/.exec(read('otel/collector.yaml'))![1].split(':');
    expect(environment(objects, containerOf(objects, 'otel-sampler')).JAEGER_OTLP_GRPC_ENDPOINT).toBeUndefined();
    expect(find(objects, 'Service', jaegerAt[0]).spec!.ports).toContainEqual(expect.objectContaining({ port: Number(jaegerAt[1]) }));
    // Each Collector's memory limiter and Go heap target fit inside its container.
    for (const name of ['otel-collector', 'otel-sampler']) {
      const c = containerOf(objects, name);
      const env = environment(objects, c);
      const limit = kubeBytes(c.resources!.limits!.memory);
      expect(Number(env.OTELCOL_MEMORY_LIMIT_MIB) * 2 ** 20).toBeLessThan(bytes(env.GOMEMLIMIT.replace(/iB$/, '')));
      expect(bytes(env.GOMEMLIMIT.replace(/iB$/, ''))).toBeLessThan(limit);
      expect(Number(env.OTELCOL_MEMORY_SPIKE_LIMIT_MIB)).toBeLessThan(Number(env.OTELCOL_MEMORY_LIMIT_MIB));
    }
  });

  it("scrapes every sampler's span metrics with otel/prometheus.yml, for Jaeger's Monitor tab, as compose does", () => {
    // The repository's file, but for its one target: compose's Collector becomes a DNS lookup of
    // the samplers' headless Service, which answers with every sampler pod's address.
    const config = parse(find(objects, 'ConfigMap', 'prometheus-config').data!['prometheus.yml']);
    const repo = parse(read('otel/prometheus.yml'));
    expect(repo.scrape_configs).toHaveLength(1);
    const composed = repo.scrape_configs[0].static_configs[0].targets[0].split(':');
    expect(composed[0]).toBe('otel-collector');
    const dns = { names: ['otel-sampler'], type: 'A', port: 8889 };
    expect(config).toEqual({ ...repo, scrape_configs: [{ job_name: repo.scrape_configs[0].job_name, dns_sd_configs: [dns] }] });
    expect(Number(composed[1])).toBe(dns.port);
    // That name and port: the headless Service over the samplers, onto the port their span metrics are on.
    const samplers = find(objects, 'Service', dns.names[0]);
    expect(samplers.spec!.clusterIP).toBe('None');
    expect(find(objects, 'StatefulSet', 'otel-sampler').spec!.template!.metadata.labels).toMatchObject(samplers.spec!.selector!);
    const metricsPort = samplers.spec!.ports!.find((p) => p.port === dns.port)!;
    const spanMetricsAt = /\$\{env:OTELCOL_SPANMETRICS_ENDPOINT:-[^:}]+:(\d+)\}/.exec(read('otel/collector.yaml'))![1];
    expect(containerOf(objects, 'otel-sampler').ports).toContainEqual({ name: metricsPort.targetPort, containerPort: Number(spanMetricsAt) });

    // Compose's command, environment and healthcheck, the config mounted where --config.file points.
    const prometheus = compose.services.prometheus;
    const w = find(objects, 'Deployment', 'prometheus');
    const c = containerOf(objects, 'prometheus');
    expect(c.args).toEqual(prometheus.command);
    expect(environment(objects, c)).toEqual(environmentOf(prometheus));
    const volume = (name: string) => w.spec!.template!.spec.volumes!.find((vol) => vol.name === name);
    const configMount = c.volumeMounts!.find((m) => volume(m.name)?.configMap?.name === 'prometheus-config')!;
    expect(c.args).toContain(`--config.file=${configMount.mountPath}/prometheus.yml`);
    const dataMount = c.volumeMounts!.find((m) => volume(m.name)?.emptyDir)!;
    expect(c.args).toContain(`--storage.tsdb.path=${dataMount.mountPath}`);
    const health = new URL(prometheus.healthcheck!.test!.find((a) => a.startsWith('http'))!);
    expect(c.readinessProbe?.httpGet).toEqual({ path: health.pathname, port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: Number(health.port) }]);

    // Jaeger asks otel/jaeger.yaml's default, as in compose: the prometheus Service, on its port.
    const jaeger = environment(objects, containerOf(objects, 'jaeger'));
    expect(jaeger.JAEGER_PROMETHEUS_URL).toBeUndefined();
    expect(environmentOf(compose.services.jaeger).JAEGER_PROMETHEUS_URL).toBeUndefined();
    const url = new URL(/\$\{env:JAEGER_PROMETHEUS_URL:-([^}]+)\}/.exec(read('otel/jaeger.yaml'))![1]);
    expect(find(objects, 'Service', url.hostname).spec!.ports).toContainEqual({ name: 'http', port: Number(url.port), targetPort: 'http' });
    expect(Number(url.port)).toBe(Number(health.port));
  });

  it("mounts the repository's own Collector, Jaeger and flag files, through links, not copies", () => {
    // The chart's files/ links to the repository's files of the same name (Helm follows the links
    // when it loads the chart); the rest of files/ is the chart's own (Jaeger's storage pieces).
    const linked = readdirSync(join(root, CHART, 'files')).filter((f) => lstatSync(join(root, CHART, 'files', f)).isSymbolicLink());
    expect(linked).toEqual(expect.arrayContaining(['docker-compose.yml', 'collector.yaml', 'collector.routing.yaml', 'jaeger.yaml', 'traceshop.flagd.json']));
    for (const file of linked) {
      const target = posix.relative(root, realpathSync(join(root, CHART, 'files', file)));
      expect({ file, target }).toEqual({ file, target: expect.stringMatching(new RegExp(`^((otel|flags)/)?${file.replace(/\./g, '\\.')}$`)) });
    }
    const config = find(objects, 'ConfigMap', 'otel-config').data!;
    for (const [file, text] of Object.entries(config)) {
      const source = linked.includes(file) ? `otel/${file}` : `${CHART}/files/${file}`;
      expect({ file, same: text === read(source) }).toEqual({ file, same: true });
    }
    // Each Collector and Jaeger runs the files of that ConfigMap, mounted where its --config points.
    const expected: Record<string, string[]> = {
      'otel-collector': ['otel/collector.routing.yaml', 'otel/collector.routing-dns.yaml'],
      'otel-sampler': ['otel/collector.yaml', 'otel/collector.sampling-tail.yaml'],
      jaeger: ['otel/jaeger.yaml', `${CHART}/files/jaeger.badger.yaml`],
    };
    for (const [name, files] of Object.entries(expected)) {
      const w = workloads(objects).find((o) => o.metadata.name === name)!;
      const c = w.spec!.template!.spec.containers[0];
      const mount = c.volumeMounts!.find((m) => w.spec!.template!.spec.volumes!.find((vol) => vol.name === m.name)?.configMap?.name === 'otel-config')!;
      expect({ name, args: c.args }).toEqual({ name, args: files.map((f) => `--config=file:${mount.mountPath}/${posix.basename(f)}`) });
      for (const f of files) expect({ name, f, same: config[posix.basename(f)] === read(f) }).toEqual({ name, f, same: true });
    }
    // The flag file: the repository's, as a folder mount where FLAGS_FILE points (a subPath mount
    // would never see an edit of the ConfigMap).
    expect(find(objects, 'ConfigMap', 'traceshop-flags').data).toEqual({ 'traceshop.flagd.json': read('flags/traceshop.flagd.json') });
    const readers = APPS.filter((app) => 'FLAGS_FILE' in environmentOf(composeService(app)));
    expect(readers.length).toBeGreaterThan(0);
    for (const app of readers) {
      const w = find(objects, 'Deployment', app);
      const c = containerOf(objects, app);
      const path = environment(objects, c).FLAGS_FILE;
      const mount = c.volumeMounts?.find((m) => m.mountPath === dirname(path));
      expect({ app, mount: mount && { subPath: mount.subPath, configMap: w.spec!.template!.spec.volumes!.find((vol) => vol.name === mount.name)?.configMap?.name } }).toEqual({ app, mount: { subPath: undefined, configMap: 'traceshop-flags' } });
      expect(posix.basename(path)).toBe('traceshop.flagd.json');
    }
  });
});

describe('the rendered chart, on a real Kubernetes API server (server-side dry run)', () => {
  let api: ApiServer | undefined;

  beforeAll(async () => {
    api = await startApiServer({ kubeApiserver: tool('kube-apiserver', 'KUBERNETES_VERSION'), etcd: tool('etcd', 'ETCD_VERSION') });
    const created = await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    expect(created.status).toBe(201);
  }, 120_000);

  afterAll(() => api?.stop());

  /** Every object created with dryRun=All and strict field validation: what the server refused. */
  async function refused(list: K8sObject[]) {
    const collections = new Map<string, { name: string; namespaced: boolean }>();
    const failures: { object: string; status: number; message?: string }[] = [];
    for (const o of list) {
      const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
      if (!collections.has(`${o.apiVersion}/${o.kind}`)) {
        const discovery = await api!.call('GET', base);
        for (const r of discovery.body.resources ?? []) if (!r.name.includes('/')) collections.set(`${o.apiVersion}/${r.kind}`, r);
      }
      const resource = collections.get(`${o.apiVersion}/${o.kind}`);
      if (!resource) {
        failures.push({ object: `${o.kind}/${o.metadata.name}`, status: 0, message: `the API server serves no ${o.kind} in ${o.apiVersion}` });
        continue;
      }
      const path = `${base}${resource.namespaced ? `/namespaces/${NAMESPACE}` : ''}/${resource.name}?dryRun=All&fieldValidation=Strict`;
      const answer = await api!.call('POST', path, o);
      if (answer.status !== 201) failures.push({ object: `${o.kind}/${o.metadata.name}`, status: answer.status, message: answer.body.message });
    }
    return failures;
  }

  it('refuses a broken object (the check can fail)', async () => {
    const deployment = structuredClone(objects().find((o) => o.kind === 'Deployment')!);
    (deployment.spec!.template!.spec.containers[0] as unknown as Record<string, unknown>).livenesProbe = deployment.spec!.template!.spec.containers[0].livenessProbe;
    const failures = await refused([deployment]);
    expect(failures).toEqual([{ object: `Deployment/${deployment.metadata.name}`, status: expect.any(Number), message: expect.stringContaining('unknown field') }]);
  });

  it.each([
    ['the default values', []],
    ['values-scaled.yaml', ['-f', SCALED]],
    ['external data stores and Prometheus, and OpenSearch', EXTERNAL],
  ])('accepts every object rendered with %s', async (_label, options) => {
    const list = render(...options);
    expect(list.length).toBeGreaterThan(15);
    expect(await refused(list)).toEqual([]);
  });
});

/** The default rendering, for the API-server block (rendered once). */
let rendered: K8sObject[] | undefined;
function objects() {
  return (rendered ??= render());
}
