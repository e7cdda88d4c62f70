import { REDIS_URL, createTestDatabase, createTestVhost, dropTestKeys, newRunId, waitFor } from '@traceshop/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Server, createServer as createHttpServer } from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { APPS, bytes, environmentOf, instructions, loadCompose, parseDockerfile, root } from './workspace';

/**
 * Each app's production build, started outside Docker exactly as the image starts it: the
 * Dockerfile's CMD, in its WORKDIR (mapped from /app to the workspace, the same layout), with
 * the environment compose gives it. Only where things are changes: the compose network's
 * hosts become this machine's Postgres, Redis and RabbitMQ (a database, vhost and key prefix of
 * this run's, shared by the six as compose's are), the Collector a stand-in that accepts every
 * OTLP export, the mounted flag file the repository's. And
 * FRAUD_HISTORY_ROWS is small: compose's two million rows take seconds and 280 MB to seed.
 */
const compose = loadCompose();
const dockerfile = parseDockerfile();
const cmd = JSON.parse(instructions(dockerfile.final, 'CMD')[0]) as string[];
const workdir = instructions(dockerfile.final, 'WORKDIR')[0];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** RssAnon of a process in bytes: its own memory, without the shared, reclaimable file pages. */
const anonymousMemory = (pid: number) => Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

const runId = newRunId();
const keyPrefix = `deploy-checks-${runId}:`;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let vhost: Awaited<ReturnType<typeof createTestVhost>>;
let collector: Server;
let collectorUrl: string;

beforeAll(async () => {
  [database, vhost] = await Promise.all([createTestDatabase(runId), createTestVhost(runId)]);
  // Answers 200 to any export (an empty ExportTraceServiceResponse), so that the flush on
  // SIGTERM is quick instead of retrying against a closed port.
  collector = createHttpServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()));
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => collector?.close(resolve));
  await Promise.allSettled([database?.drop(), vhost?.drop(), dropTestKeys(keyPrefix)]);
});

describe.each(APPS)('the build output of %s, started as the image starts it', (app) => {
  let child: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let output = '';
  let baseUrl: string;

  beforeAll(async () => {
    const service = compose.services[app];
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const local: Record<string, string> = { postgres: database.url, redis: REDIS_URL, rabbitmq: vhost.url, 'otel-collector': collectorUrl };
    const mounts = (service.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => v.split(':'));
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(environmentOf(service))) {
      const host = /^[a-z]+:\/\/(?:[^@/]*@)?([a-z-]+)[:/]/.exec(value)?.[1];
      const mount = mounts.find(([, target]) => value.startsWith(`${target}/`));
      env[key] = host && host in compose.services ? (local[host] ?? nowhere) : mount ? join(root, mount[0], value.slice(mount[1].length)) : value;
    }
    const port = await freePort();
    Object.assign(env, { PORT: String(port), REDIS_KEY_PREFIX: keyPrefix }, 'FRAUD_HISTORY_ROWS' in env ? { FRAUD_HISTORY_ROWS: '1000' } : {});
    baseUrl = `http://127.0.0.1:${port}`;

    // This machine's environment, minus what would change how the service behaves, plus the
    // Node running these tests first on PATH (the image's `node` is Node of .nvmrc too).
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && !['NODE_OPTIONS', 'NODE_ENV', 'JEST_WORKER_ID'].includes(k)));
    const cwd = join(root, workdir.replace(/^\/app\//, '').replace('${APP}', app));
    child = spawn(cmd[0], cmd.slice(1), { cwd, env: { ...inherited, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
    child.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
    exited = new Promise((resolve) => child!.on('exit', (code) => resolve(code)));
  });

  afterAll(async () => {
    if (child?.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  const get = async (path: string) => {
    const res = await fetch(`${baseUrl}${path}`);
    return { status: res.status, body: await res.json().catch(() => undefined) };
  };
  const expectRunning = () => expect({ exitCode: child?.exitCode, output: child?.exitCode === null ? '' : output }).toEqual({ exitCode: null, output: '' });

  it('answers /health/live', async () => {
    const live = await waitFor(() => get('/health/live'), (r) => r.status === 200 || child?.exitCode !== null, { timeoutMs: 60_000, what: `${app} /health/live` }).catch((e) => {
      throw new Error(`${(e as Error).message}\n--- ${app} output:\n${output}`);
    });
    expectRunning();
    expect(live).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers /health/ready, the check compose runs, with its dependencies up', async () => {
    const ready = await waitFor(() => get('/health/ready'), (r) => r.status === 200 || child?.exitCode !== null, { timeoutMs: 60_000, what: `${app} /health/ready` });
    expectRunning();
    expect(ready).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('uses at most 60% of its compose memory limit when idle, with the heap flags compose gives it', () => {
    expectRunning();
    const limit = bytes(compose.services[app].deploy!.resources!.limits!.memory!);
    expect(anonymousMemory(child!.pid!)).toBeLessThan(limit * 0.6);
  });

  it('stops on SIGTERM, cleanly (exit code 0)', async () => {
    expectRunning();
    child!.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000).unref())]);
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  });
});
