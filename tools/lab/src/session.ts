import { databaseUrl, k6Binary, repoRoot, waitFor } from '@traceshop/testing';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Evidence, type LabRun } from './evidence';
import type { Lab, LabContext } from './lab.types';

const root = repoRoot(__dirname);

/** The services re-read the flag file every second: a switch is in force everywhere after this. */
export const SETTLE_MS = 2_000;
/** The Collector's tail sampling holds each trace this long before it decides (otel/collector.yaml). */
const TAIL_DECISION_WAIT_MS = 5_000;

/** Where the running shop is: `npm start`'s defaults, or the TRACESHOP_* variables (compose, tests). */
export function labContext(env = process.env): LabContext {
  return {
    gatewayUrl: env.TRACESHOP_GATEWAY_URL ?? 'http://127.0.0.1:8080',
    jaegerUrl: env.TRACESHOP_JAEGER_URL ?? 'http://127.0.0.1:16686',
    flagsFile: env.TRACESHOP_FLAGS_FILE ?? join(root, 'flags/traceshop.flagd.json'),
    databaseUrl: env.TRACESHOP_DATABASE_URL ?? databaseUrl('traceshop'),
    amqpUrl: env.TRACESHOP_LAB_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/traceshop',
    redisUrl: env.TRACESHOP_REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisKeyPrefix: env.TRACESHOP_REDIS_KEY_PREFIX ?? '',
    collectorUrl: env.TRACESHOP_COLLECTOR_URL ?? 'http://127.0.0.1:4318',
    collectorMetricsUrl: env.TRACESHOP_COLLECTOR_METRICS_URL ?? 'http://127.0.0.1:8888/metrics',
  };
}

/** Per lab: the recorded run, which questions were answered right, fixed, verified. */
export type Progress = Record<string, { run?: LabRun; answered: Record<string, boolean>; fixed?: boolean; verified?: boolean }>;

const progressFile = () => process.env.TRACESHOP_LAB_PROGRESS ?? join(root, 'tmp/labs/progress.json');

export function readProgress(): Progress {
  const file = progressFile();
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Progress) : {};
}

export function saveProgress(progress: Progress): void {
  const file = progressFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(progress, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * Runs the lab's incident script (k6/incidents/<scenario>.ts) against the shop, its output shown
 * as it comes, and returns the run: its window and the trace ids k6 printed. Then waits until
 * the run's spans have arrived in Jaeger (the span count stops growing).
 */
export async function runIncident(lab: Lab, ctx: LabContext, purpose: 'start' | 'verify'): Promise<LabRun> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS)); // the flag switch takes effect
  await lab.prepare?.(ctx);
  const startedMs = Date.now();
  const summaryDir = join(root, 'tmp/labs');
  mkdirSync(summaryDir, { recursive: true });
  const env = { BASE_URL: ctx.gatewayUrl, JAEGER_URL: ctx.jaegerUrl, SUMMARY_DIR: summaryDir };
  const args = ['run', '--no-color', '--quiet', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), `k6/incidents/${lab.scenario}.ts`];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(k6Binary(root), args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const show = (d: Buffer) => {
      output += d;
      if (purpose === 'start' || process.env.TRACESHOP_LAB_QUIET !== '1') process.stdout.write(d);
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, output }));
  });
  const run: LabRun = {
    startedMs,
    endedMs: Date.now(),
    traceIds: [...new Set([...output.matchAll(/trace_id=([0-9a-f]{32})/g)].map((m) => m[1]))],
    answers: [...output.matchAll(/: (\d{3}) in (\d+) ms trace_id=([0-9a-f]{32})/g)].map((m) => ({ traceId: m[3], status: Number(m[1]), ms: Number(m[2]) })),
    k6Code: code,
    red: redThresholds(join(summaryDir, `incident-${lab.scenario}-summary.json`)),
  };
  if (code !== 0 && code !== 99) throw new Error(`k6 failed (exit ${code}): is the shop running at ${ctx.gatewayUrl}?`);
  // A sampled lab's traces come after the Collector's tail-sampling decision, `decision_wait`
  // after each trace began, and some never come: no count of spans could say they are all in.
  if (lab.sampled) await new Promise((resolve) => setTimeout(resolve, TAIL_DECISION_WAIT_MS + SETTLE_MS));
  // Settled: no new span for three polls in a row (each service exports on its own timer, so
  // one quiet poll can fall between two services' batches).
  const counts: number[] = [];
  await waitFor(
    async () => (await Evidence.load(ctx.jaegerUrl, run)).traces.reduce((n, t) => n + t.spans.length, 0),
    (spans) => {
      counts.push(spans);
      return (spans > 0 || lab.sampled === true) && counts.length >= 3 && counts.slice(-3).every((n) => n === spans);
    },
    { timeoutMs: 45_000, intervalMs: 2_000, what: `the run's traces in Jaeger (${ctx.jaegerUrl})` },
  );
  return run;
}

/** The thresholds k6's summary (k6/lib/summary.ts) reports red. */
function redThresholds(file: string): string[] {
  if (!existsSync(file)) return [];
  const summary = JSON.parse(readFileSync(file, 'utf8')) as { thresholds?: { metric: string; threshold: string; ok: boolean; value?: number }[] };
  return (summary.thresholds ?? []).filter((t) => !t.ok).map((t) => `${t.metric} ${t.threshold} (${t.value === undefined ? '?' : Number(t.value.toFixed(3))})`);
}
