import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { utc, type Paint } from './format';

/**
 * `--logs`: the services' log lines of one trace, in time order. Every line a service writes
 * inside a span carries `trace_id` and `span_id` (pino + its OpenTelemetry instrumentation), so
 * the lines are read where they already are — natively the per-service files of the stack
 * (`npm start`: tmp/stack-dev/<service>.log), with compose `docker compose logs` — rather than
 * sent a second time through the Collector: no log pipeline to run, size or keep in step.
 */

const SERVICES = ['gateway', 'auth', 'cart', 'inventory', 'payment', 'payment-provider'];
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

export interface LogLine {
  /** ms since the epoch. */
  time: number;
  service: string;
  level: string;
  msg: string;
  spanId?: string;
  /** What else a person wants on the line: the request and its answer, an error. */
  detail: string;
}

/** Where the lines are: a folder of <service>.log files, or compose's log command. */
export type LogSource = { dir: string } | { compose: true };

/** TRACESHOP_LOG_DIR, else `npm start`'s folder when it exists, else compose. */
export function logSource(root: string, env = process.env): LogSource {
  const dir = env.TRACESHOP_LOG_DIR ?? join(root, 'tmp/stack-dev');
  return existsSync(dir) ? { dir } : { compose: true };
}

/** Each service's raw log text. */
export function readLogs(source: LogSource): { service: string; text: string }[] {
  if ('dir' in source) {
    return readdirSync(source.dir)
      .filter((f) => f.endsWith('.log') && SERVICES.includes(basename(f, '.log')))
      .map((f) => ({ service: basename(f, '.log'), text: readFileSync(join(source.dir, f), 'utf8') }));
  }
  return SERVICES.map((service) => {
    const run = spawnSync('docker', ['compose', 'logs', '--no-log-prefix', '--no-color', service], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
    if (run.error || run.status !== 0) {
      throw new Error(`no log folder (TRACESHOP_LOG_DIR, tmp/stack-dev) and \`docker compose logs ${service}\` failed: ${run.error?.message ?? run.stderr.trim()}`);
    }
    return { service, text: run.stdout };
  });
}

/** The lines of `traceId` in `text` (one JSON object per line; anything else is skipped). */
export function traceLines(service: string, text: string, traceId: string): LogLine[] {
  const id = traceId.toLowerCase().padStart(32, '0');
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.includes(id)) continue;
    let line: Record<string, any>;
    try {
      line = JSON.parse(raw);
    } catch {
      continue;
    }
    if (line.trace_id !== id) continue;
    const req = line.req ? `${line.req.method} ${line.req.url}` : '';
    const res = line.res?.statusCode !== undefined ? ` → ${line.res.statusCode}${line.responseTime !== undefined ? ` in ${line.responseTime} ms` : ''}` : '';
    const err = line.err?.message ? ` error: ${line.err.message}` : '';
    out.push({
      time: Number(line.time),
      service,
      level: LEVELS[line.level] ?? String(line.level),
      msg: String(line.msg ?? ''),
      spanId: line.span_id,
      detail: [line.context && `[${line.context}]`, `${req}${res}`, err.trim()].filter(Boolean).join(' '),
    });
  }
  return out;
}

/** Every service's lines of the trace, oldest first. */
export function collectTraceLogs(logs: { service: string; text: string }[], traceId: string): LogLine[] {
  return logs.flatMap(({ service, text }) => traceLines(service, text, traceId)).sort((a, b) => a.time - b.time);
}

export function renderLogs(lines: LogLine[], paint: Paint): string {
  if (lines.length === 0) return 'no log line of this trace (lines carry trace_id only when written inside a span)\n';
  const width = Math.max(...lines.map((l) => l.service.length));
  return `${lines
    .map((l) => {
      const level = l.level === 'ERROR' || l.level === 'FATAL' ? paint('red', l.level.padEnd(5)) : l.level === 'WARN' ? paint('yellow', l.level.padEnd(5)) : paint('dim', l.level.padEnd(5));
      return `${paint('dim', utc(l.time * 1000).slice(11))}  ${l.service.padEnd(width)}  ${level}  ${l.msg}${l.detail ? `  ${paint('dim', l.detail)}` : ''}${l.spanId ? paint('dim', `  span ${l.spanId}`) : ''}`;
    })
    .join('\n')}\n`;
}
