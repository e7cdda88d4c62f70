import { prettyFactory } from 'pino-pretty';
import { styleText } from 'node:util';

/** What `TerminalLog` shows. */
export interface TerminalLogOptions {
  /** Colours (a terminal, NO_COLOR unset). */
  color: boolean;
  /** Once quiet, a request at least this slow still gets its line (TRACESHOP_SLOW_REQUEST_MS). */
  slowRequestMs: number;
}

/** The parts of a pino (and pino-http) line this reads. */
interface LogLine {
  level?: number;
  msg?: string;
  context?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  trace_id?: string;
}

const WARN = 40;
// Nest's module and route wiring: a hundred lines at start-up that say the app is wired as its
// code says. The log files keep them (the OpenAPI test reads the routes from there).
const WIRING = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);
// Red is kept for errors, so no process is red.
const PALETTE = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'cyanBright', 'magentaBright', 'yellowBright'] as const;
// As wide as the longest process name (payment-provider), so messages line up.
const NAME_WIDTH = 16;

/**
 * What `npm start` shows on a terminal of its processes' output (the log files keep every line
 * as it was written): each JSON log line as one short line (pino-pretty) — time, the process in
 * its colour, the level (warnings and errors in theirs), the Nest context and the message's first
 * line; a request as `POST /api/checkout 201 3012 ms trace <id>`; Nest's wiring lines not at all. Once `quiet()` is called (the
 * stack is up), only warnings, errors, requests slower than `slowRequestMs`, and output that is
 * not a JSON log line (a crash's stack trace, the Collector's and Jaeger's warnings).
 */
export class TerminalLog {
  private quiet = false;
  private readonly pretty: (line: object) => string;
  private readonly colours = new Map<string, (typeof PALETTE)[number]>();

  constructor(readonly options: TerminalLogOptions) {
    this.pretty = prettyFactory({
      colorize: options.color,
      translateTime: 'SYS:HH:MM:ss.l',
      singleLine: true,
      // Everything else is in the log file; the trace id only where it helps (requests).
      ignore: 'pid,hostname,context,req,res,err,responseTime,trace_id,span_id,trace_flags',
      messageFormat: (log) => message(log as LogLine),
    });
  }

  /** From now on: warnings, errors, slow requests, and lines that are not JSON logs. */
  quietDown(): void {
    this.quiet = true;
  }

  /** The terminal's line for a line of `name`'s output, or undefined to show nothing. */
  format(name: string, line: string): string | undefined {
    const log = parse(line);
    if (!log) return `${this.label(name)} ${line}`;
    if (this.quiet ? !this.stillShown(log) : WIRING.has(log.context ?? '')) return undefined;
    return `${this.label(name)} ${this.pretty(log).trimEnd()}`;
  }

  private stillShown(log: LogLine): boolean {
    return (log.level ?? 0) >= WARN || (log.responseTime ?? 0) >= this.options.slowRequestMs;
  }

  private label(name: string): string {
    const padded = name.padEnd(NAME_WIDTH);
    if (!this.options.color) return padded;
    if (!this.colours.has(name)) this.colours.set(name, PALETTE[this.colours.size % PALETTE.length]);
    return styleText(this.colours.get(name)!, padded, { validateStream: false });
  }
}

/** A pino line as an object, or undefined for anything else. */
function parse(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const log = JSON.parse(line) as LogLine;
    return typeof log.level === 'number' ? log : undefined;
  } catch {
    return undefined;
  }
}

/** A request as one line, anything else as its context and the first line of its message. */
function message(log: LogLine): string {
  if (log.req && log.res && log.responseTime !== undefined) {
    const trace = log.trace_id ? ` trace ${log.trace_id}` : '';
    return `${log.req.method} ${log.req.url} ${log.res.statusCode} ${Math.round(log.responseTime ?? 0)} ms${trace}`;
  }
  const first = String(log.msg ?? '').split('\n')[0];
  return log.context ? `${log.context}: ${first}` : first;
}
