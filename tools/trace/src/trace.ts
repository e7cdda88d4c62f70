/**
 * `npm run trace`: reads a trace from Jaeger's query API and draws it in the terminal (the native
 * Jaeger has no UI). Exit 0: done; 1: trace not found / no match; 2: usage, or Jaeger unreachable.
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/trace/src/trace.ts <trace-id> | --last | --service ...
 *
 * Everything but the I/O here is a pure function of Jaeger's JSON (model, critical path,
 * summary, diff, rendering), tested on recorded traces. Options: --help, tools/trace/README.md.
 */
import type { JaegerTrace } from '@traceshop/testing';
import { join } from 'node:path';
import { diffTraces } from './diff';
import { renderDiff } from './diff-report';
import { painter, wantsColor } from './format';
import { fetchTrace, JaegerUnreachable, searchTraces, waitForTrace } from './jaeger.client';
import { collectTraceLogs, logSource, readLogs, renderLogs } from './logs';
import { buildModel } from './model';
import { CHECKOUT, HELP, parseOptions, UsageError, type TraceOptions } from './options';
import { compareWithReference, renderReference } from './reference';
import { summarize } from './summary';
import { watchStats } from './stats';
import { renderCriticalPath, renderList, renderSummary } from './tables';
import { renderHeader, renderWaterfall, rootOf } from './waterfall';

/** A failure with its exit code and the line that explains it. */
class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const out = (text: string) => process.stdout.write(text);
const json = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.mode === 'help') {
    out(HELP);
    return 0;
  }
  const paint = painter(wantsColor(process.stdout, process.env));
  if (options.mode === 'stats') {
    return watchStats(options.stats, { out, err: (text) => process.stderr.write(text), live: process.stdout.isTTY === true && !options.json, json: options.json, paint });
  }
  // Not a terminal (piped, in a test): 100 columns, so a transcript reads the same everywhere.
  const width = process.stdout.isTTY ? (process.stdout.columns ?? 100) : 100;

  if (options.mode === 'search') {
    const found = await searchTraces(options.jaegerUrl, options.search);
    const models = found
      .map((t) => buildModel(t))
      .filter((m) => !options.search.error || m.spans.some((s) => s.error))
      .slice(0, options.search.limit);
    if (models.length === 0) throw new Exit(1, `no trace matches (${describeSearch(options)}) in Jaeger at ${options.jaegerUrl}`);
    if (options.json) {
      json(models.map((m) => ({ traceId: m.traceId, startTime: m.startTime, durationUs: m.durationUs, spans: m.spans.length, errors: m.spans.filter((s) => s.error).length, root: rootName(m) })));
    } else {
      out(`${models.length} trace${models.length === 1 ? '' : 's'} (${describeSearch(options)}), newest first\n`);
      out(renderList(models, paint));
    }
    return 0;
  }

  const trace = await load(options, options.traceId ?? (await lastCheckout(options)));
  if (options.logs) {
    const lines = collectTraceLogs(readLogs(logSource(join(__dirname, '../../..'))), trace.traceID);
    if (options.json) json(lines);
    else out(renderLogs(lines, paint));
    return 0;
  }
  const model = buildModel(trace);
  if (options.diff !== undefined) {
    const other = buildModel(await load(options, options.diff));
    const diff = diffTraces(model, other);
    if (options.json) json(diff);
    else out(renderDiff(diff, paint));
    return 0;
  }
  const summary = summarize(model);
  if (options.json) {
    json({ ...model, summary });
    return 0;
  }
  out(renderHeader(model, paint));
  if (options.summary) {
    out(renderSummary(model, summary, paint));
    // A slow checkout also gets the breakdown of the incident it reproduces, to compare.
    const reference = compareWithReference(trace, model);
    if (reference) out(renderReference(reference, paint));
    return 0;
  }
  out(renderWaterfall(model, { width, paint, criticalPath: options.criticalPath, expand: options.expand, ids: options.ids }));
  if (options.criticalPath) out(renderCriticalPath(model, summary, paint));
  return 0;
}

/** Trace `id` (waiting for it to stop growing with --wait), or exit 1. */
async function load(options: TraceOptions, id: string): Promise<JaegerTrace> {
  const trace = options.wait
    ? await waitForTrace(options.jaegerUrl, id, { onGrow: (n) => process.stderr.write(`trace: ${id}: ${n} spans so far\n`) })
    : await fetchTrace(options.jaegerUrl, id);
  if (!trace) throw new Exit(1, `trace ${id} not found in Jaeger at ${options.jaegerUrl}${options.wait ? '' : ' (just made? --wait polls until it arrives)'}`);
  return trace;
}

/** The newest checkout's trace ID, or exit 1. */
async function lastCheckout(options: TraceOptions): Promise<string> {
  // A few rather than 1: the newest by start time, whatever order the storage answers in.
  const found = await searchTraces(options.jaegerUrl, { ...options.search, ...CHECKOUT, error: false, tags: {}, limit: 5 });
  if (found.length === 0) throw new Exit(1, `no ${CHECKOUT.service} ${CHECKOUT.operation} trace in the last ${options.search.since} in Jaeger at ${options.jaegerUrl}`);
  return found[0].traceID;
}

function rootName(model: ReturnType<typeof buildModel>): string {
  const root = rootOf(model);
  return root ? `${root.service} ${root.name}` : '';
}

function describeSearch({ search }: TraceOptions): string {
  return [
    `service ${search.service}`,
    search.operation && `operation ${search.operation}`,
    search.minDuration && `at least ${search.minDuration}`,
    search.maxDuration && `at most ${search.maxDuration}`,
    search.error && 'with an error',
    ...Object.entries(search.tags).map(([k, v]) => `${k}=${v}`),
    `last ${search.since}`,
  ]
    .filter(Boolean)
    .join(', ');
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`trace: ${e.message} (--help lists the options)\n`);
      process.exitCode = 2;
    } else if (e instanceof JaegerUnreachable) {
      process.stderr.write(`trace: ${e.message}; set TRACESHOP_JAEGER_URL or --jaeger-url (is the stack running? npm start)\n`);
      process.exitCode = 2;
    } else if (e instanceof Exit) {
      process.stderr.write(`trace: ${e.message}\n`);
      process.exitCode = e.code;
    } else {
      process.stderr.write(`trace: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 2;
    }
  },
);
