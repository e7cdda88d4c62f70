import { getTrace, otlpSpan, sendSpans, waitFor } from '@traceshop/testing';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopChild, tool } from './processes';
import { root } from './workspace';

/**
 * The Helm chart's Jaeger storage pieces (deploy/helm/traceshop/files/jaeger.<storage>.yaml after
 * otel/jaeger.yaml, as the chart passes them) to the pinned Jaeger built natively. Badger, the
 * default, runs: a trace written before a restart is still there after it (the chart mounts a
 * volume where this test points JAEGER_BADGER_DIRECTORY at a temporary folder). Elasticsearch and
 * OpenSearch, which need a cluster, are only validated.
 */
const STORAGE = (name: string) => ['otel/jaeger.yaml', `deploy/helm/traceshop/files/jaeger.${name}.yaml`].flatMap((c) => ['--config', `file:${join(root, c)}`]);

let dir: string;
let jaeger: ChildProcess | undefined;
let env: Record<string, string>;
let queryUrl: string;
let otlpUrl: string;

// Whatever happens to the test, Jaeger does not outlive it.
process.once('exit', () => jaeger?.kill('SIGKILL'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'traceshop-badger-'));
  const local = async () => `127.0.0.1:${await freePort()}`;
  const [otlpHttp, query] = [await local(), await local()];
  env = {
    JAEGER_OTLP_GRPC_ENDPOINT: await local(),
    JAEGER_OTLP_HTTP_ENDPOINT: otlpHttp,
    JAEGER_QUERY_HTTP_ENDPOINT: query,
    JAEGER_QUERY_GRPC_ENDPOINT: await local(),
    JAEGER_HEALTH_ENDPOINT: await local(),
    JAEGER_METRICS_HOST: '127.0.0.1',
    JAEGER_METRICS_PORT: String(await freePort()),
    JAEGER_BADGER_DIRECTORY: join(dir, 'badger'),
  };
  queryUrl = `http://${query}`;
  otlpUrl = `http://${otlpHttp}`;
});

afterAll(async () => {
  await stopChild(jaeger);
  rmSync(dir, { recursive: true, force: true });
});

async function start() {
  const log = openSync(join(dir, 'jaeger.log'), 'a');
  jaeger = spawn(tool('jaeger', 'JAEGER_VERSION'), STORAGE('badger'), { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', log, log] });
  await waitFor(() => fetch(`http://${env.JAEGER_HEALTH_ENDPOINT}/status`).then((r) => r.status), (s) => s === 200, {
    timeoutMs: 30_000,
    what: 'Jaeger to be healthy',
  }).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${readFileSync(join(dir, 'jaeger.log'), 'utf8').slice(-3000)}`)));
}

it('keeps a trace on disk across a restart', async () => {
  await start();
  const span = otlpSpan({ name: 'badger survives' });
  const traceId = span.traceId;
  expect(await sendSpans(otlpUrl, 'deploy-checks', [span])).toBe(200);
  await getTrace(queryUrl, traceId);

  await stopChild(jaeger);
  await start();
  // The in-memory store of otel/jaeger.yaml would have lost it.
  const after = await getTrace(queryUrl, traceId, { timeoutMs: 5_000 });
  expect(after.spans.map((s) => s.operationName)).toEqual(['badger survives']);
});

it.each(['elasticsearch', 'opensearch'])('accepts the %s piece as configuration (validated, not run)', (storage) => {
  const validate = (...extra: string[]) =>
    execFileSync(tool('jaeger', 'JAEGER_VERSION'), ['validate', ...STORAGE(storage), ...extra], {
      env: { PATH: process.env.PATH, JAEGER_ES_SERVER_URLS: '[http://search.example:9200]' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  expect(() => validate()).not.toThrow();
  // (and validation does look into it)
  expect(() => validate(`--set=extensions::jaeger_storage::backends::${storage}::${storage}::no_such_key=1`)).toThrow(/invalid keys: no_such_key/);
});
