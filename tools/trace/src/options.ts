import { parseArgs } from 'node:util';

/** What the checkout trace is called: `--last` looks for the newest of these. */
export const CHECKOUT = { service: 'gateway', operation: 'POST /api/checkout' };

/** Jaeger's search (its UI's form). */
export interface SearchOptions {
  service: string;
  operation?: string;
  /** Go durations, as Jaeger takes them: 1s, 250ms. */
  minDuration?: string;
  maxDuration?: string;
  /** Only traces with an error span (filtered here: Jaeger v2 cannot search its derived `error` tag). */
  error: boolean;
  tags: Record<string, string>;
  limit: number;
  /** How far back: as given (1h), and in µs. */
  since: string;
  sinceUs: number;
}

/** One run of the CLI. */
export interface TraceOptions {
  mode: 'help' | 'show' | 'search' | 'stats';
  /** The trace to show; undefined with --last. */
  traceId?: string;
  last: boolean;
  diff?: string;
  search: SearchOptions;
  criticalPath: boolean;
  summary: boolean;
  wait: boolean;
  expand: boolean;
  /** Span ids at the start of each waterfall line. */
  ids: boolean;
  /** The services' log lines of the trace instead of its waterfall. */
  logs: boolean;
  json: boolean;
  jaegerUrl: string;
  /** --stats: the Collector's span metrics endpoint, read every `intervalS` seconds. */
  stats: { metricsUrl: string; intervalS: number };
}

/** Wrong command line: the message says what, the exit code is 2. */
export class UsageError extends Error {}

export const HELP = `usage: npm run trace -- <trace-id> [--critical-path] [--summary] [--diff <other-id>] [--ids] [--logs] [--json]
       npm run trace -- --last [...]            the newest checkout (gateway POST /api/checkout)
       npm run trace -- --service <name> [--operation <name>] [--min 1s] [--error] [--tag k=v]...
       npm run trace -- --stats [--interval 10]   rate, errors, duration per service and operation

Reads traces from Jaeger's query API and draws them in the terminal: one line per span, indented
by parentage, with its service, start, duration, self time and timeline, and inline what it did
(statement, message destination, route and peer, exceptions, flag decisions, span links).

show a trace
  <trace-id>            up to 32 hex digits (the x-trace-id header of any answer of the shop)
  --last                the newest checkout of the last --since (default 1h)
  --critical-path       mark the critical path (*, █ on it, ░ off it) and total it per service
                        (Jaeger's: from the root's end back through the last-finishing children)
  --summary             per service: spans, total (wall clock), self time, shares, errors; for a
                        slow checkout (slow-checkout on) also the reference incident beside it
  --diff <other-id>     what grew, shrank, appeared or disappeared from <trace-id> to <other-id>
  --wait                poll until the trace stops growing (3 s without a new span; at most 60 s)
  --expand              one line per span (runs of ≥5 like siblings are otherwise collapsed)
  --ids                 each span's id at the start of its line (one line per span)
  --logs                the services' log lines of the trace, oldest first (natively from the
                        log files, TRACESHOP_LOG_DIR or tmp/stack-dev; else docker compose logs)

search (lists start, duration, spans, errors, root, trace id; newest first)
  --service <name>      default gateway when any other search option is given
  --operation <name>    e.g. "POST /api/checkout"
  --min <duration>      at least this long: 1s, 250ms (Jaeger's minDuration)
  --max <duration>      at most this long
  --error               only traces with an error span
  --tag <key=value>     a span of the trace has this attribute; repeatable
  --limit <n>           at most n traces (default 20)
  --since <duration>    how far back (default 1h; with --last too)

RED per service and operation (server and consumer spans), from the Collector's span metrics
(100% of the spans, before any sampling): calls since the Collector started; req/s, errors and
p50/p95/p99 over the last interval. Redrawn every interval on a terminal, printed once when piped.
  --stats
  --interval <seconds>  default 10 (a multiple of the Collector's 5 s metrics flush)
  --metrics-url <url>   default: TRACESHOP_SPANMETRICS_URL, else http://127.0.0.1:8889/metrics

  --json                the computed model (spans with depth, offsets, self time, critical flag;
                        summary; critical path), the diff, the search results, or the stats
  --jaeger-url <url>    default: TRACESHOP_JAEGER_URL, else http://127.0.0.1:16686
  --help

Colours on a terminal only; NO_COLOR turns them off. The timeline takes a third of the terminal
(100 columns when piped).
Exit 0: done; 1: trace not found, no trace matches, or no span counted yet; 2: wrong command
line, or Jaeger (the span metrics) unreachable (the message says where it looked).
`;

const DURATION = /^\d+(\.\d+)?(us|µs|ms|s|m|h)$/;
const UNIT_US: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };

/** Reads the command line and the environment; throws UsageError on anything it cannot use. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): TraceOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        last: { type: 'boolean', default: false },
        'critical-path': { type: 'boolean', default: false },
        summary: { type: 'boolean', default: false },
        diff: { type: 'string' },
        wait: { type: 'boolean', default: false },
        expand: { type: 'boolean', default: false },
        ids: { type: 'boolean', default: false },
        logs: { type: 'boolean', default: false },
        service: { type: 'string' },
        operation: { type: 'string' },
        min: { type: 'string' },
        max: { type: 'string' },
        error: { type: 'boolean', default: false },
        tag: { type: 'string', multiple: true, default: [] },
        limit: { type: 'string' },
        since: { type: 'string' },
        json: { type: 'boolean', default: false },
        'jaeger-url': { type: 'string' },
        stats: { type: 'boolean', default: false },
        interval: { type: 'string' },
        'metrics-url': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one trace ID at a time, not ${positionals.length} (${positionals.join(' ')})`);
  const traceId = positionals[0] === undefined ? undefined : hexId('trace ID', positionals[0]);
  const searching = [v.service, v.operation, v.min, v.max, v.limit].some((x) => x !== undefined) || v.error || v.tag.length > 0;

  const search: SearchOptions = {
    service: v.service ?? CHECKOUT.service,
    operation: v.operation,
    minDuration: v.min === undefined ? undefined : goDuration('--min', v.min),
    maxDuration: v.max === undefined ? undefined : goDuration('--max', v.max),
    error: v.error,
    tags: Object.fromEntries(v.tag.map(keyValue)),
    limit: v.limit === undefined ? 20 : positive('--limit', v.limit),
    since: v.since ?? '1h',
    sinceUs: micros('--since', v.since ?? '1h'),
  };
  const jaegerUrl = v['jaeger-url'] || env.TRACESHOP_JAEGER_URL || 'http://127.0.0.1:16686';
  try {
    new URL(jaegerUrl);
  } catch {
    throw new UsageError(`not a URL: "${jaegerUrl}" (--jaeger-url or TRACESHOP_JAEGER_URL)`);
  }
  const base = {
    last: v.last,
    diff: v.diff === undefined ? undefined : hexId('--diff', v.diff),
    search,
    criticalPath: v['critical-path'],
    summary: v.summary,
    wait: v.wait,
    expand: v.expand,
    ids: v.ids,
    logs: v.logs,
    json: v.json,
    jaegerUrl,
    stats: { metricsUrl: url('--metrics-url or TRACESHOP_SPANMETRICS_URL', v['metrics-url'] || env.TRACESHOP_SPANMETRICS_URL || 'http://127.0.0.1:8889/metrics'), intervalS: v.interval === undefined ? 10 : positive('--interval', v.interval) },
  };
  if (v.help) return { ...base, mode: 'help' };
  if (v.stats) {
    if (traceId !== undefined || v.last || searching) throw new UsageError('--stats counts every span: drop the trace ID, --last and the search options');
    return { ...base, mode: 'stats' };
  }
  if (traceId !== undefined && v.last) throw new UsageError('a trace ID or --last, not both');
  if (searching && (traceId !== undefined || v.last)) throw new UsageError('search options (--service, --operation, --min, --max, --error, --tag, --limit) list traces: drop the trace ID or --last');
  if (searching) {
    if (v.diff !== undefined || v.wait || v['critical-path'] || v.summary) throw new UsageError('--diff, --wait, --critical-path and --summary are about one trace: give its ID, or --last');
    return { ...base, mode: 'search' };
  }
  if (traceId === undefined && !v.last) throw new UsageError('which trace? give its ID, --last, or search options');
  return { ...base, mode: 'show', traceId };
}

/** Jaeger takes trace IDs of up to 32 hex digits (16 from older tracers). */
function hexId(what: string, value: string): string {
  if (!/^[0-9a-fA-F]{1,32}$/.test(value)) throw new UsageError(`${what} must be up to 32 hex digits, not "${value}"`);
  return value.toLowerCase();
}

function goDuration(name: string, value: string): string {
  if (!DURATION.test(value)) throw new UsageError(`${name} takes a duration like 1s, 250ms or 1.5s, not "${value}"`);
  return value.replace('µs', 'us');
}

function micros(name: string, value: string): number {
  const m = DURATION.exec(goDuration(name, value))!;
  return Math.round(parseFloat(value) * UNIT_US[m[2]]);
}

function positive(name: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`${name} must be a whole number of 1 or more, not "${value}"`);
  return Number(value);
}

function url(what: string, value: string): string {
  try {
    new URL(value);
  } catch {
    throw new UsageError(`not a URL: "${value}" (${what})`);
  }
  return value;
}

function keyValue(value: string): [string, string] {
  const at = value.indexOf('=');
  if (at <= 0) throw new UsageError(`--tag takes key=value, not "${value}"`);
  return [value.slice(0, at), value.slice(at + 1)];
}
