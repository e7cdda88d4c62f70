/**
 * `npm start` without Docker: the whole TraceShop natively, on the default ports, with its data
 * kept between runs (database and vhost `traceshop`). Builds nothing: the services must be built
 * (dist/apps) and the Collector and Jaeger too (bash tools/build-tools.sh).
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/stack.ts [--dry-run]     (what `npm start` runs)
 *
 * On a terminal, each log line is one short human line (TerminalLog), and once the stack is up only
 * warnings, errors and requests slower than TRACESHOP_SLOW_REQUEST_MS (default 500) are shown;
 * LOG_FORMAT=json, or a pipe, prints every line as written, after a [service] prefix. The log
 * files (tmp/stack-dev/<service>.log) keep every JSON line either way. Ctrl-C stops it all in
 * order. A process that dies is restarted with a backoff, as compose would (a `[stack] ...
 * restarting` line). TRACESHOP_APPS=auth,gateway starts only those services (plus the Collector
 * and Jaeger). TRACESHOP_SAMPLERS=2 starts the two-layer telemetry tier instead of one Collector:
 * a routing Collector on the usual ports, spreading traces by trace id over two tail-sampling
 * Collectors (the split-traces lab); TRACESHOP_REPLICAS=payment=2 a second payment on the same
 * queue (port 20024).
 * --dry-run loads everything, says what it would start and exits (a deployment check runs it).
 */
import type { ServiceName } from '@traceshop/contracts';
import { replicasFromEnv, Stack, startStack, TerminalLog } from '@traceshop/testing';

async function main() {
  const apps = process.env.TRACESHOP_APPS?.split(',').filter(Boolean) as ServiceName[] | undefined;
  const samplers = Number(process.env.TRACESHOP_SAMPLERS || 0);
  const replicas = Object.entries(replicasFromEnv()).filter(([, n]) => n > 1);
  const collectors = samplers > 0 ? `a routing Collector, ${samplers} sampling Collectors` : 'Collector';
  const what = `Jaeger, ${collectors}, ${apps?.join(', ') ?? 'all six services'}${replicas.map(([app, n]) => ` (${app} ×${n})`).join('')}`;
  if (process.argv.includes('--dry-run')) return console.log(`would start TraceShop (${what})`);
  console.log(`starting TraceShop (${what})...`);
  const terminal = readableTerminal();
  let stack: Stack;
  try {
    stack = await startStack({ ephemeral: false, logs: 'inherit', format: terminal && ((name, line) => terminal.format(name, line)), runId: 'dev', apps });
  } catch (e) {
    console.error(`\nTraceShop did not start: ${(e as Error).message}`);
    process.exit(1);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping TraceShop...`);
    await stack.stop().catch((e) => console.error(`stop: ${(e as Error).message}`));
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  console.log(`
TraceShop is up.
  shop API (gateway)  ${stack.gatewayUrl}
  API docs (OpenAPI)  ${stack.gatewayUrl}/api/docs
  Jaeger query API    ${stack.jaegerUrl}/api/services   (UI: ${stack.jaegerUrl}; the full UI comes with docker compose)
  OTLP/HTTP in        ${stack.collectorOtlpHttpUrl}/v1/traces${samplers > 0 ? `   (the router: ${samplers} tail-sampling Collectors behind it)` : ''}
  demo user           demo@traceshop.local / traceshop-demo
  RED per operation   ${
    samplers > 0
      ? `TRACESHOP_SPANMETRICS_URL=${stack.spanMetricsUrl} npm run trace -- --stats   (sampler 1's share: each sampler counts the traces routed to it)`
      : `npm run trace -- --stats   (the Collector's span metrics: ${stack.spanMetricsUrl})`
  }
  logs                ${stack.logDir}
A process that dies is restarted ([stack] lines). Ctrl-C stops everything.${
    terminal ? `\nFrom here on: warnings, errors, and requests slower than ${terminal.options.slowRequestMs} ms (TRACESHOP_SLOW_REQUEST_MS).` : ''
  }
`);
  terminal?.quietDown();
}

/** Short human lines on a terminal, unless LOG_FORMAT=json asks for the lines as written. */
function readableTerminal(): TerminalLog | undefined {
  if (!process.stdout.isTTY || process.env.LOG_FORMAT === 'json') return undefined;
  const slowRequestMs = Number(process.env.TRACESHOP_SLOW_REQUEST_MS || 500);
  if (!Number.isFinite(slowRequestMs) || slowRequestMs < 0) {
    console.error(`TRACESHOP_SLOW_REQUEST_MS must be a number of milliseconds, not "${process.env.TRACESHOP_SLOW_REQUEST_MS}"`);
    process.exit(2);
  }
  return new TerminalLog({ color: !process.env.NO_COLOR, slowRequestMs });
}

void main();
